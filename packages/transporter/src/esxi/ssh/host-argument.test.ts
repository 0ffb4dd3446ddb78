import { strict as assert } from "node:assert";
import { test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { defaultKnownHostsPath } from "./default-known-hosts-path.js";
import { parseHostArgument } from "./host-argument.js";

test("--host values", () => {
  assert.deepEqual(parseHostArgument("esx01.lan"), { host: "esx01.lan", port: 22 });
  assert.deepEqual(parseHostArgument("192.168.1.133:2222"), { host: "192.168.1.133", port: 2222 });
  assert.deepEqual(parseHostArgument("[fe80::1]:22"), { host: "fe80::1", port: 22 });
  assert.deepEqual(parseHostArgument("[::1]"), { host: "::1", port: 22 });
  for (const bad of ["", "esx01:0", "esx01:65536", "esx01:x", "-oProxyCommand=x", "a b", "::1"]) {
    assert.throws(() => parseHostArgument(bad), InvalidInputError, bad);
  }
});

test("known-hosts path: explicit, XDG, home", () => {
  assert.equal(defaultKnownHostsPath({ ESXBACKUP_KNOWN_HOSTS: "/etc/esxbackup/known_hosts" }), "/etc/esxbackup/known_hosts");
  assert.equal(defaultKnownHostsPath({ XDG_CONFIG_HOME: "/x" }), "/x/esxbackup/known_hosts");
  assert.match(defaultKnownHostsPath({}), /\/\.config\/esxbackup\/known_hosts$/u);
});
