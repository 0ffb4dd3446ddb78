import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { HostOutputError } from "../parsers/host-output-error.js";
import { SHELL_CAPABILITIES_SCRIPT, parseShellCapabilities } from "./parse-shell-capabilities.js";

test("pythons with their versions and the hash applets present", () => {
  const report = "python python3 Python 3.8.18\npython python Python 3.5.10\napplet md5sum\napplet sha256sum\napplet dd\napplet wc\ndd conv=notrunc\n";
  assert.deepEqual(parseShellCapabilities(report), {
    pythons: [
      { command: "python3", version: { major: 3, minor: 8, patch: 18 }, versionText: "Python 3.8.18" },
      { command: "python", version: { major: 3, minor: 5, patch: 10 }, versionText: "Python 3.5.10" },
    ],
    hashApplets: { md5sum: true, sha1sum: false, sha256sum: true },
    tools: { dd: true, ddNotrunc: true, wc: true },
  });
});

test("no python, no applets; a broken interpreter is listed without a version", () => {
  assert.deepEqual(parseShellCapabilities(""), { pythons: [], hashApplets: { md5sum: false, sha1sum: false, sha256sum: false }, tools: { dd: false, ddNotrunc: false, wc: false } });
  const broken = parseShellCapabilities("python python3 Traceback (most recent call last):\n  File x\nImportError: y\napplet sha1sum\n");
  assert.equal(broken.pythons[0]?.version, undefined);
  assert.match(broken.pythons[0]?.versionText ?? "", /ImportError: y/u);
  assert.equal(broken.hashApplets.sha1sum, true);
  assert.deepEqual(parseShellCapabilities("python python Python 2.7.18\n").pythons[0]?.version, { major: 2, minor: 7, patch: 18 });
});

test("a line of another shape is an error quoting it", () => {
  assert.throws(() => parseShellCapabilities("applet md5sum\nsh: syntax error\n"), (e: unknown) => e instanceof InvalidInputError && e.message.includes('"sh: syntax error"'));
  assert.throws(() => parseShellCapabilities("applet cksum\n"), InvalidInputError);
  assert.throws(() => parseShellCapabilities("python python3 Python 3.8.18\n\nnot a fact\n"), (e: unknown) => e instanceof HostOutputError && e.lineNumber === 3 && e.line === "not a fact");
});

test("a dd without conv=notrunc is reported as such, and a broken Python's lines stop at the dd line", () => {
  assert.deepEqual(parseShellCapabilities("applet dd\napplet wc\n").tools, { dd: true, ddNotrunc: false, wc: true });
  const report = parseShellCapabilities("python python3 Traceback (most recent call last):\nImportError: y\ndd conv=notrunc\n");
  assert.match(report.pythons[0]?.versionText ?? "", /ImportError: y$/u);
  assert.equal(report.tools.ddNotrunc, true);
});

test("a shell without the command builtin is an error, not a host that seems to have nothing", () => {
  assert.throws(
    () => parseShellCapabilities("shell no-command\n"),
    (e: unknown) => e instanceof HostOutputError && /no `command` builtin/u.test(e.message) && e.line === "shell no-command",
  );
});

test("the probe script runs only quoted program text, and tests dd's conv=notrunc on /dev/null only", () => {
  assert.match(SHELL_CAPABILITIES_SCRIPT.text, /for a in md5sum sha1sum sha256sum dd wc; do/u);
  assert.match(SHELL_CAPABILITIES_SCRIPT.text, /if dd if=\/dev\/null of=\/dev\/null conv=notrunc 2>\/dev\/null; then echo 'dd conv=notrunc'; fi/u);
});
