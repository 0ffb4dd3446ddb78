// Awkward file and folder names created and read back through the session on a simulated ESXi host, so
// the quoting is tested where it matters: through SSH into the host's busybox ash.
import { strict as assert } from "node:assert";
import { after, before, test } from "node:test";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import type { TestHost } from "../testing/simulated-esxi-host.js";
import { AWKWARD_NAMES } from "./awkward-names.js";
import type { EsxiSshSession } from "./esxi-ssh-session.js";
import { sh } from "./shell-command.js";

let t: TestHost;
let session: EsxiSshSession;
const base = "/vmfs/volumes/datastore1/quoting test [1]";

before(async () => {
  t = await startTestHost({ esxiVersion: "8.0" });
  session = await t.open();
});
after(async () => {
  await t.stop();
});

test("folders and files with awkward names are created, listed and read back exactly", async () => {
  for (const name of AWKWARD_NAMES) {
    const folder = `${base}/${name}`;
    await session.exec(sh`mkdir -p ${folder} && printf '%s' ${`content of ${name}`} > ${`${folder}/${name}.vmx`}`);
  }
  const listing = await session.exec(sh`cd ${base} && for d in * .[!.]* ..?*; do [ -e "$d" ] && printf '%s\\0' "$d"; done; true`);
  const listed = listing.stdout.toString("utf8").split("\0").slice(0, -1).sort();
  assert.deepEqual(listed, [...AWKWARD_NAMES].sort());
  for (const name of AWKWARD_NAMES) {
    const read = await session.exec(sh`cat ${`${base}/${name}/${name}.vmx`}`);
    assert.equal(read.stdout.toString("utf8"), `content of ${name}`, JSON.stringify(name));
  }
});

test("an interpolated command substitution or variable is never run or expanded on the host", async () => {
  const marker = "/tmp/quoting-marker";
  const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `' ; touch ${marker}; '`];
  const echoed = await session.exec(sh`printf '%s\\n' ${hostile} $HOME`);
  assert.equal(echoed.stdout.toString("utf8"), `${hostile.join("\n")}\n/\n`);
  const exists = await session.exec(sh`test -e ${marker}`, { check: false });
  assert.equal(exists.exitCode, 1, "nothing was executed");
});
