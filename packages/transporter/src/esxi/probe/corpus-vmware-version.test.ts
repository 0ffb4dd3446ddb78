// `vmware -v` / `-l` / `-vl` as real hosts printed them (parsers/fixtures/corpus, sources in its SOURCES.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { parseVmwareVersion } from "./parse-vmware-version.js";

const corpus: [file: string, version: string, build: string | undefined, update: string | undefined][] = [
  ["vmware-vl-5.0-verbatim.txt", "5.0.0", "469512", "0"],
  ["vmware-lv-6.0u1-verbatim.txt", "6.0.0", "3073146", "1"],
  ["vmware-vl-6.0u2-verbatim.txt", "6.0.0", "3620759", "2"],
  ["vmware-v-7.0-verbatim.txt", "7.0.0", "16324942", undefined],
  ["vmware-l-7.0-verbatim.txt", "7.0", undefined, "0"],
];

for (const [file, version, build, update] of corpus) {
  test(`vmware version corpus: ${file}`, () => {
    const info = parseVmwareVersion(fixtureText(`corpus/${file}`));
    assert.deepEqual([info.version, info.build, info.update], [version, build, update]);
  });
}

test("vmware version corpus: the 7.0 GA host's -v and -l together, as the probe runs them", () => {
  const both = fixtureText("corpus/vmware-v-7.0-verbatim.txt") + fixtureText("corpus/vmware-l-7.0-verbatim.txt");
  assert.deepEqual(parseVmwareVersion(both), { version: "7.0.0", build: "16324942", update: "0", release: "7.0" });
});
