// Table tests of a restore's record on the host (docs/adr/0030): its parsing (never half understood), the
// decision on a folder that exists before a restore (resume only what is provably this restore's; discard
// only a leftover of ours; everything else refused as before), the start of a restore over the original
// (carried on only from a record of this same restore with the VM not powered on since), what a stopped
// restore keeps (only what a run of the same command can finish), and the record kept as runs are
// acknowledged (never ahead of the acknowledgements, saves spaced in time, never two at once), with its
// host-side Python checked for the oldest host Python and run for real.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Clock, PointId, RecoveryPoint } from "@esxbackup/domain";
import { checkHostPythonScript } from "@esxbackup/esxi-simulator";
import type { ExecOptions, ExecResult } from "../esxi/ssh/esxi-ssh-session.js";
import type { ShellCommand } from "../esxi/ssh/shell-command.js";
import { HostRestoreRecord, RESTORE_RECORD_PYTHON_SCRIPT } from "./host-restore-record.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import { planHostRestore } from "./plan-host-restore.js";
import { RepositoryFileError } from "@esxbackup/repository";
import { SshCommandFailedError, SshConnectionLostError } from "../esxi/ssh/esxi-ssh-errors.js";
import { HostWriteError } from "./host-flat-writer.js";
import { bytesOfDataChunksBelow, decideLeftoverFolder, decideOverOriginalStart, keepStoppedRestore, newRestoreRecord, parseRestoreRecord, restoreStopCause, serializeRestoreRecord } from "./restore-record.js";
import type { LeftoverFolderFacts, RestoreRecord, RestoreStopCause } from "./restore-record.js";

const CHUNK = 64 * 1024;
const POINT = "p1" as PointId;
const point: Pick<RecoveryPoint, "pointId" | "configFiles" | "disks" | "chunkSizeBytes"> = {
  pointId: POINT,
  chunkSizeBytes: CHUNK,
  configFiles: [{ name: "web01.vmx", content: Buffer.from('scsi0:0.fileName = "web01.vmdk"\nscsi0:0.present = "TRUE"\n') }],
  disks: [{ index: 0, key: "scsi0:0", name: "web01.vmdk", sizeBytes: 16 * CHUNK, chunkCount: 16, zeroChunkCount: 4 }],
};
const plan = planHostRestore({ point, name: "web 02", datastore: undefined, datastores: ["datastore1"], esxi: { version: "8.0.1", build: "21495797", update: "1", release: "8.0" } });
const ours: RestoreRecord = { ...newRestoreRecord(plan, POINT, CHUNK, "id-1"), disks: [{ index: 0, sizeBytes: 16 * CHUNK, created: true, writtenBelowChunk: 5 }] };
const text = (record: RestoreRecord | Record<string, unknown>): string => serializeRestoreRecord(record as RestoreRecord).toString("utf8");

describe("parseRestoreRecord", () => {
  it("reads back what was written", () => {
    assert.deepEqual(parseRestoreRecord(text(ours)), ours);
  });

  const broken: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/u],
    ["another format", JSON.stringify({ ...ours, format: "other/1" }), /not a esxbackup-restore\/1 record/u],
    ["no point", JSON.stringify({ ...JSON.parse(text(ours)), point: undefined }), /point/u],
    ["a negative chunk", JSON.stringify({ ...JSON.parse(text(ours)), disks: [{ index: 0, sizeBytes: 1, created: true, writtenBelowChunk: -1 }] }), /one of its disks/u],
    ["data on a disk never made", JSON.stringify({ ...JSON.parse(text(ours)), disks: [{ index: 0, sizeBytes: 1, created: false, writtenBelowChunk: 3 }] }), /never created/u],
    ["no registering flag", JSON.stringify({ ...JSON.parse(text(ours)), registering: undefined }), /registering/u],
    ["a zero chunk size", JSON.stringify({ ...JSON.parse(text(ours)), chunkSizeBytes: 0 }), /chunkSizeBytes/u],
    ["an unknown target", JSON.stringify({ ...JSON.parse(text(ours)), target: "elsewhere" }), /target "elsewhere" is neither/u],
    ["a vmLog that is not a string", JSON.stringify({ ...JSON.parse(text(ours)), vmLog: 7 }), /vmLog/u],
    ["a disk path that is not a string", JSON.stringify({ ...JSON.parse(text(ours)), disks: [{ index: 0, sizeBytes: 1, created: true, writtenBelowChunk: 0, path: 3 }] }), /path/u],
  ];
  it("reads a record written before restores over the original kept one (no target) as a new VM's", () => {
    const { target: _target, ...older } = JSON.parse(text(ours)) as Record<string, unknown>;
    assert.deepEqual(parseRestoreRecord(JSON.stringify(older)), ours);
  });

  for (const [what, input, problem] of broken) {
    it(`says why it is not a record: ${what}`, () => {
      const parsed = parseRestoreRecord(input);
      assert.ok("problem" in parsed, "no record from it");
      assert.match(parsed.problem, problem);
    });
  }
});

describe("decideLeftoverFolder", () => {
  const facts = (overrides: Partial<LeftoverFolderFacts>): LeftoverFolderFacts => ({ recordText: text(ours), registeredFromFolder: [], discard: false, ...overrides });

  it("resumes a folder holding this restore's record, with what it records", () => {
    assert.deepEqual(decideLeftoverFolder(plan, POINT, CHUNK, facts({})), { kind: "resume", record: ours });
  });

  it("discards a leftover of ours when asked, of this point or another, or one that had reached registering", () => {
    assert.equal(decideLeftoverFolder(plan, POINT, CHUNK, facts({ discard: true, recordText: text({ ...ours, registering: true }) })).kind, "discard");
    assert.equal(decideLeftoverFolder(plan, POINT, CHUNK, facts({ discard: true })).kind, "discard");
    assert.equal(decideLeftoverFolder(plan, POINT, CHUNK, facts({ discard: true, recordText: text({ ...ours, point: "p0" }) })).kind, "discard");
  });

  const refused: [string, Partial<LeftoverFolderFacts>, string, RegExp][] = [
    ["no record", { recordText: undefined }, "folder-exists", /already exists on the host and holds no record of an esxbackup restore/u],
    ["no record, even with discard", { recordText: undefined, discard: true }, "folder-exists", /remove it yourself/u],
    ["a record that cannot be read", { recordText: "garbage" }, "folder-not-ours", /cannot be read \(it is not JSON\)/u],
    ["a record of another point", { recordText: text({ ...ours, point: "p0" }) }, "leftover-of-other-point", /left by an interrupted restore of point p0; restore that point again .* or add --discard-leftover/u],
    ["a record of this point with other disks", { recordText: text({ ...ours, disks: [{ ...ours.disks[0], sizeBytes: CHUNK } as RestoreRecord["disks"][number]] }) }, "leftover-of-other-point", /point p1 with other disks/u],
    ["a record of this point at another chunk size", { recordText: text({ ...ours, chunkSizeBytes: 2 * CHUNK }) }, "leftover-of-other-point", /point p1 with other disks/u],
    ["a record naming another VM", { recordText: text({ ...ours, name: "web 03" }) }, "folder-not-ours", /names VM "web 03" on datastore "datastore1", not this folder/u],
    ["a record naming another VM, even with discard", { recordText: text({ ...ours, name: "web 03" }), discard: true }, "folder-not-ours", /not this folder/u],
    ["a record naming another datastore", { recordText: text({ ...ours, datastore: "ds2" }) }, "folder-not-ours", /on datastore "ds2"/u],
    ["a VM registered from it", { registeredFromFolder: [{ vmid: "7", file: "[datastore1] web 02/web 02.vmx" }] }, "folder-has-vm", /VM 7 is registered from it \(\[datastore1\] web 02\/web 02\.vmx\)/u],
    ["a leftover that had reached registering, no VM registered from it now", { recordText: text({ ...ours, registering: true }) }, "leftover-was-registered", /had reached registering its VM, .* register \/vmfs\/volumes\/datastore1\/web 02\/web 02\.vmx with vim-cmd solo\/registervm if it is the restored VM, or add --discard-leftover/u],
    ["a record of a restore over the original", { recordText: text({ ...ours, target: "over-original" }), discard: true }, "folder-not-ours", /is of a restore over VM "web 02"'s own disks \(--over-original\), not of a new VM/u],
    ["a VM registered from it, even with discard", { registeredFromFolder: [{ vmid: "7", file: "[datastore1] web 02/x.vmx" }], discard: true }, "folder-has-vm", /choose another --name/u],
  ];
  for (const [what, given, refusal, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => decideLeftoverFolder(plan, POINT, CHUNK, facts(given)),
        (error: unknown) => error instanceof HostRestoreRefusedError && error.refusal === refusal && message.test(error.message) && error.message.includes("/vmfs/volumes/datastore1/web 02"),
      );
    });
  }
});

describe("decideOverOriginalStart", () => {
  const expected: RestoreRecord = {
    restoreId: "id-2",
    target: "over-original",
    point: POINT,
    name: "web01",
    datastore: "datastore1",
    chunkSizeBytes: CHUNK,
    disks: [{ index: 0, sizeBytes: 16 * CHUNK, created: true, writtenBelowChunk: 0, path: "/vmfs/volumes/datastore1/web01/web01-flat.vmdk" }],
    registering: false,
    vmLog: "log-1",
  };
  const interrupted: RestoreRecord = { ...expected, restoreId: "id-1", disks: [{ ...(expected.disks[0] as RestoreRecord["disks"][number]), writtenBelowChunk: 9 }] };

  it("writes whole, saying so, when the VM's folder holds no record", () => {
    assert.deepEqual(decideOverOriginalStart(expected, undefined), { kind: "whole", why: "no interrupted restore over this VM was found: its disks are rewritten whole" });
  });

  it("carries on a record of this same restore, with what it records", () => {
    assert.deepEqual(decideOverOriginalStart(expected, text(interrupted)), { kind: "resume", record: interrupted });
  });

  const whole: [string, string, RegExp][] = [
    ["a record that cannot be read", "garbage", /cannot be read \(it is not JSON\): its disks are rewritten whole/u],
    ["a record of a restore as a new VM", text({ ...interrupted, target: "new-vm" }), /of another restore \(of VM "web01" as a new VM\)/u],
    ["a record of another VM", text({ ...interrupted, name: "web02" }), /of another restore \(of VM "web02"\)/u],
    ["a record of another point", text({ ...interrupted, point: "p0" }), /an interrupted restore of point p0 over this VM was found, and this is point p1: its disks are rewritten whole/u],
    ["a record of other disks", text({ ...interrupted, disks: [{ ...(interrupted.disks[0] as RestoreRecord["disks"][number]), path: "/vmfs/volumes/datastore1/web01/other-flat.vmdk" }] }), /made when the VM had other disks/u],
    ["a record at another chunk size", text({ ...interrupted, chunkSizeBytes: 2 * CHUNK }), /made when the VM had other disks/u],
    ["a VM powered on since (its vmware.log changed)", text({ ...interrupted, vmLog: "log-0" }), /the VM was powered on since \(its vmware\.log changed\), and may have written to its disks: its disks are rewritten whole/u],
  ];
  for (const [what, recordText, why] of whole) {
    it(`rewrites whole, saying why, given ${what}`, () => {
      const start = decideOverOriginalStart(expected, recordText);
      assert.equal(start.kind, "whole");
      assert.match((start as { why: string }).why, why);
    });
  }
});

describe("what a stopped restore keeps", () => {
  const lost = new SshConnectionLostError("esx01", "while writing");
  const causes: [string, unknown, boolean, RestoreStopCause][] = [
    ["an abort", new Error("This operation was aborted"), true, "interrupted"],
    ["an abort, whatever the error says", new HostWriteError("/f", "No space left on device"), true, "interrupted"],
    ["writes that kept failing on a lost connection", new HostWriteError("/f", "bytes 0+1 not written after 3 tries (connection lost)", { cause: lost }), false, "failed"],
    ["a host command that failed", new SshCommandFailedError("esx01", "vmkfstools -c 1 -d thin /f", { exitCode: 1, stderr: "Failed to create virtual disk" }), false, "failed"],
    ["a repository file that could not be read (a NAS gone)", new RepositoryFileError("io", "/repo/chunks/ab/abc", "EIO"), false, "failed"],
    ["a chunk of the point missing", new RepositoryFileError("missing", "/repo/chunks/ab/abc", "does not exist"), false, "point-unreadable"],
    ["a chunk of the point damaged, under another error", new Error("reading the point", { cause: new RepositoryFileError("corrupt", "/repo/chunks/ab/abc", "authentication failed") }), false, "point-unreadable"],
    ["a write the datastore had no space for (Python's writer)", new HostWriteError("/f", "OSError: [Errno 28] No space left on device"), false, "datastore-full"],
    ["a small file the datastore had no space for (cat)", new SshCommandFailedError("esx01", "cat > /f", { exitCode: 1, stderr: "sh: write error: No space left on device" }), false, "datastore-full"],
  ];
  for (const [what, error, aborted, cause] of causes) {
    it(`restoreStopCause: ${what} → ${cause}`, () => {
      assert.equal(restoreStopCause(error, aborted), cause);
    });
  }

  const keeps: [RestoreStopCause, number, boolean][] = [
    ["interrupted", 1, true],
    ["failed", 1, true],
    ["interrupted", 0, false],
    ["failed", 0, false],
    ["point-unreadable", 1 << 30, false],
    ["datastore-full", 1 << 30, false],
  ];
  for (const [cause, bytes, kept] of keeps) {
    it(`keepStoppedRestore: ${cause} with ${bytes} bytes recorded → ${kept ? "kept" : "removed"}`, () => {
      assert.equal(keepStoppedRestore(cause, bytes), kept);
    });
  }
});

it("bytesOfDataChunksBelow counts data chunks only, the last one at its length", () => {
  const index = { isZero: (chunk: number) => chunk === 1, chunkLength: (chunk: number) => (chunk === 3 ? 100 : CHUNK) };
  assert.equal(bytesOfDataChunksBelow(0, index), 0);
  assert.equal(bytesOfDataChunksBelow(2, index), CHUNK);
  assert.equal(bytesOfDataChunksBelow(4, index), 2 * CHUNK + 100);
});

/** A session that records each command and its stdin, and answers when the test says so. */
class RecordingSession {
  readonly sent: { command: string; stdin: string }[] = [];
  readonly pending: (() => void)[] = [];
  hold = false;
  async exec(command: ShellCommand, options?: ExecOptions): Promise<ExecResult> {
    this.sent.push({ command: command.text, stdin: options?.stdin?.toString("utf8") ?? "" });
    if (this.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0, signal: undefined };
  }
}

describe("HostRestoreRecord", () => {
  const runs = [
    { first: 0, count: 2, zero: false },
    { first: 2, count: 1, zero: false },
    { first: 5, count: 4, zero: false },
  ];
  const setUp = (): { session: RecordingSession; clock: { ms: number } & Clock; keeper: HostRestoreRecord; saved: () => RestoreRecord[] } => {
    const session = new RecordingSession();
    const clock = { ms: 0, now: () => new Date(clock.ms) };
    const keeper = new HostRestoreRecord({ session, plan, record: newRestoreRecord(plan, POINT, CHUNK, "id-1"), python: "python", clock, intervalMs: 1000 });
    const saved = (): RestoreRecord[] => session.sent.map((sent) => parseRestoreRecord(sent.stdin) as RestoreRecord);
    return { session, clock, keeper, saved };
  };

  it("records below which chunk every run was acknowledged, never ahead of an acknowledgement, and saves no more than once an interval", async () => {
    const { session, clock, keeper, saved } = setUp();
    await keeper.diskCreated(0, true);
    assert.deepEqual(saved().map((r) => r.disks[0]), [{ index: 0, sizeBytes: 16 * CHUNK, created: true, writtenBelowChunk: 0 }]);
    keeper.writing(0, runs);
    clock.ms = 5000;
    keeper.acknowledged(0, runs[1] as (typeof runs)[number]);
    assert.equal(session.sent.length, 1, "the second run alone moves nothing: the first is not acknowledged");
    keeper.acknowledged(0, runs[0] as (typeof runs)[number]);
    await keeper.settled();
    assert.equal(saved()[1]?.disks[0]?.writtenBelowChunk, 5, "both first runs: every data chunk below 5 (the next run's first)");
    clock.ms = 5500;
    keeper.acknowledged(0, runs[2] as (typeof runs)[number]);
    await keeper.settled();
    assert.equal(session.sent.length, 2, "not saved again within the interval");
    await keeper.flush();
    assert.equal(saved()[2]?.disks[0]?.writtenBelowChunk, 9, "the flush saves the rest: past the last run");
    assert.match(session.sent[1]?.command ?? "", /^'?python'? -c .* '\/vmfs\/volumes\/datastore1\/web 02\/\.esxbackup-restore\.json' '\/vmfs\/volumes\/datastore1\/web 02\/web 02-flat\.vmdk'$/su, "the created disk's flat file is fsynced first");
  });

  it("never saves twice at once: acknowledgements while a save is in flight wait for the next", async () => {
    const { session, clock, keeper, saved } = setUp();
    await keeper.diskCreated(0, true);
    keeper.writing(0, runs);
    session.hold = true;
    clock.ms = 5000;
    keeper.acknowledged(0, runs[0] as (typeof runs)[number]);
    clock.ms = 9000;
    keeper.acknowledged(0, runs[1] as (typeof runs)[number]);
    assert.equal(session.sent.length, 2, "one save in flight");
    session.hold = false;
    session.pending.splice(0).forEach((resolve) => resolve());
    await keeper.flush();
    assert.deepEqual(saved().map((r) => r.disks[0]?.writtenBelowChunk), [0, 2, 5]);
  });

  it("saves without Python with cat and mv, through a temporary file", async () => {
    const session = new RecordingSession();
    const keeper = new HostRestoreRecord({ session, plan, record: newRestoreRecord(plan, POINT, CHUNK, "id-1"), python: undefined, clock: { now: () => new Date(0) } });
    await keeper.diskCreated(0, true);
    assert.equal(session.sent[0]?.command, "cat > '/vmfs/volumes/datastore1/web 02/.esxbackup-restore.json.new' && mv -f -- '/vmfs/volumes/datastore1/web 02/.esxbackup-restore.json.new' '/vmfs/volumes/datastore1/web 02/.esxbackup-restore.json'");
  });
});

describe("the record-saving Python", () => {
  it("is valid for the Python of ESXi 6.7, 7.0 and 8.0", async () => {
    for (const release of ["6.7", "7.0", "8.0"]) assert.deepEqual(await checkHostPythonScript(RESTORE_RECORD_PYTHON_SCRIPT, release), [], release);
  });

  it("replaces the record whole after fsyncing the files named, and refuses a flat file that is not there, leaving the record as it was", () => {
    const work = mkdtempSync(join(tmpdir(), "esxbackup-record-"));
    try {
      const record = join(work, ".esxbackup-restore.json");
      const flat = join(work, "a-flat.vmdk");
      writeFileSync(record, "old");
      writeFileSync(flat, Buffer.alloc(4096, 1));
      execFileSync("python3", ["-c", RESTORE_RECORD_PYTHON_SCRIPT, record, flat], { input: "new" });
      assert.equal(readFileSync(record, "utf8"), "new");
      assert.throws(() => execFileSync("python3", ["-c", RESTORE_RECORD_PYTHON_SCRIPT, record, join(work, "missing")], { input: "newer", stdio: "pipe" }));
      assert.equal(readFileSync(record, "utf8"), "new");
      assert.equal(readFileSync(flat).length, 4096, "the flat file is not truncated");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
