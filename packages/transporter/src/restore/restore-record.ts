/**
 * The record a restore to a host keeps in the VM folder it writes into (docs/adr/0030): one small JSON file,
 * `.esxbackup-restore.json`, rewritten (whole, by rename) as the host acknowledges disk runs.
 *
 * - A restore as a new VM writes it in the same host command as the `mkdir` of its folder. It marks the
 *   folder as this restore's own — which point, which VM name and datastore, a restore id — and says what of
 *   it is on the host: which disks `vmkfstools -c` finished, and below which chunk every data chunk of a
 *   disk was acknowledged. It is removed once the VM is registered: a folder holding it is a restore that
 *   has not finished.
 * - A restore over the original (`--over-original`) writes it into the VM's own folder before the first
 *   byte of its disks, and says below which chunk every chunk (data and zeros) was acknowledged; it also
 *   holds a fingerprint of the VM's `vmware.log`, which a power-on writes, so that a VM started in between
 *   is never carried on. It is removed once every disk is rewritten.
 *
 * Pure decisions, table-tested: `decideLeftoverFolder` on a folder that exists before a restore as a new VM
 * begins (resume it, discard it when asked, or refuse it as before); `decideOverOriginalStart` (carry on an
 * interrupted restore over the original, or rewrite whole and say why); `keepStoppedRestore` (what a restore
 * stopped by an abort or an error leaves: its folder and record to carry on, or nothing).
 */
import type { PointId } from "@esxbackup/domain";
import { RepositoryFileError } from "@esxbackup/repository";
import { SshCommandFailedError } from "../esxi/ssh/esxi-ssh-errors.js";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import type { HostRestorePlan } from "./plan-host-restore.js";
import { RestoreVerificationError } from "./restore-verification-error.js";

/** The record's file name inside the VM folder (hidden, and no extension the host gives a meaning to). */
export const RESTORE_RECORD_NAME = ".esxbackup-restore.json";

/** The option that discards a leftover of ours; named in refusals. */
export const DISCARD_LEFTOVER_OPTION = "--discard-leftover";

const FORMAT = "esxbackup-restore/1";

export interface RestoreRecordDisk {
  index: number;
  sizeBytes: number;
  /** `vmkfstools -c` of this disk was acknowledged: its descriptor and flat file are whole. */
  created: boolean;
  /** Every data chunk of the disk below this one (over the original: every chunk) was acknowledged as written (0: none yet). */
  writtenBelowChunk: number;
  /** Over the original: the flat file written into (the VM's own disk at the point's slot). */
  path?: string;
}

/** A new VM's folder the restore made, or the disks of the VM the point was made from (`--over-original`). */
export type RestoreTarget = "new-vm" | "over-original";

export interface RestoreRecord {
  restoreId: string;
  /** Absent in a record: "new-vm" (the records written before restores over the original kept one). */
  target: RestoreTarget;
  point: string;
  name: string;
  datastore: string;
  chunkSizeBytes: number;
  disks: RestoreRecordDisk[];
  /**
   * Every file is written and the VM is about to be registered. Such a leftover with no VM registered from
   * it is never carried on: it cannot be told from a restored VM unregistered since (and perhaps used).
   */
  registering: boolean;
  /** Over the original: the fingerprint of the VM's `vmware.log` when the restore began (VM_LOG_ABSENT if none). */
  vmLog?: string;
}

/** The `vmLog` of a VM folder without a `vmware.log` (a VM never powered on). */
export const VM_LOG_ABSENT = "absent";

/** The record of a restore about to begin: nothing created, nothing written. */
export function newRestoreRecord(plan: HostRestorePlan, pointId: PointId, chunkSizeBytes: number, restoreId: string): RestoreRecord {
  return {
    restoreId,
    target: "new-vm",
    point: pointId,
    name: plan.name,
    datastore: plan.datastore,
    chunkSizeBytes,
    disks: plan.disks.map((disk) => ({ index: disk.index, sizeBytes: disk.sizeBytes, created: false, writtenBelowChunk: 0 })),
    registering: false,
  };
}

export function serializeRestoreRecord(record: RestoreRecord): Buffer {
  return Buffer.from(`${JSON.stringify({ format: FORMAT, ...record })}\n`, "utf8");
}

/** The record in `text`, or a sentence saying why it is not one (never a record half understood). */
export function parseRestoreRecord(text: string): RestoreRecord | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "it is not JSON" };
  }
  if (!isObject(value) || value["format"] !== FORMAT) return { problem: `it is not a ${FORMAT} record` };
  const { restoreId, point, name, datastore, chunkSizeBytes, disks, registering, vmLog } = value;
  const target = value["target"] ?? "new-vm";
  if (target !== "new-vm" && target !== "over-original") return { problem: `its target ${JSON.stringify(target)} is neither "new-vm" nor "over-original"` };
  if (typeof registering !== "boolean") return { problem: "its registering flag is missing" };
  if (vmLog !== undefined && typeof vmLog !== "string") return { problem: "its vmLog is not a string" };
  if (typeof restoreId !== "string" || typeof point !== "string" || typeof name !== "string" || typeof datastore !== "string") return { problem: "its restoreId, point, name or datastore is missing" };
  if (!isCount(chunkSizeBytes) || chunkSizeBytes === 0) return { problem: "its chunkSizeBytes is not a positive integer" };
  if (!Array.isArray(disks)) return { problem: "its disks are missing" };
  const parsed: RestoreRecordDisk[] = [];
  for (const disk of disks as unknown[]) {
    if (!isObject(disk) || !isCount(disk["index"]) || !isCount(disk["sizeBytes"]) || typeof disk["created"] !== "boolean" || !isCount(disk["writtenBelowChunk"])) {
      return { problem: "one of its disks is not {index, sizeBytes, created, writtenBelowChunk}" };
    }
    if (!disk["created"] && disk["writtenBelowChunk"] !== 0) return { problem: `disk ${disk["index"]} has data recorded but was never created` };
    const path = disk["path"];
    if (path !== undefined && typeof path !== "string") return { problem: `disk ${disk["index"]} has a path that is not a string` };
    parsed.push({ index: disk["index"], sizeBytes: disk["sizeBytes"], created: disk["created"], writtenBelowChunk: disk["writtenBelowChunk"], ...(path === undefined ? {} : { path }) });
  }
  return { restoreId, target, point, name, datastore, chunkSizeBytes, disks: parsed, registering, ...(vmLog === undefined ? {} : { vmLog }) };
}

/** What the host said about a folder of the target's path that exists before the restore begins. */
export interface LeftoverFolderFacts {
  /** The record file's content; undefined when the folder holds none. */
  recordText: string | undefined;
  /** VMs registered from a file in the folder (getallvms, by path). */
  registeredFromFolder: readonly { vmid: string; file: string }[];
  /** `--discard-leftover` was given. */
  discard: boolean;
}

export type LeftoverFolderDecision = { kind: "resume"; record: RestoreRecord } | { kind: "discard"; record: RestoreRecord };

/**
 * Resume a folder only when it is provably ours and this restore's: it holds our record naming this point,
 * this VM name and datastore and the same disks, and no VM is registered from it. With `discard`, a leftover
 * of ours (our record for this name and datastore, no VM registered) is removed and the restore starts
 * over. Everything else is refused as before, naming the folder and what to do; nothing is changed.
 */
export function decideLeftoverFolder(plan: HostRestorePlan, pointId: PointId, chunkSizeBytes: number, facts: LeftoverFolderFacts): LeftoverFolderDecision {
  const folder = plan.folderPath;
  const registered = facts.registeredFromFolder[0];
  if (registered !== undefined) {
    throw new HostRestoreRefusedError("--name", "folder-has-vm", `${folder} already exists on the host and VM ${registered.vmid} is registered from it (${registered.file}); choose another --name`);
  }
  if (facts.recordText === undefined) {
    throw new HostRestoreRefusedError("--name", "folder-exists", `${folder} already exists on the host and holds no record of an esxbackup restore (another VM's folder, or one whose restore was stopped before it began); choose another --name, or remove it yourself`);
  }
  const record = parseRestoreRecord(facts.recordText);
  if ("problem" in record) {
    throw new HostRestoreRefusedError("--name", "folder-not-ours", `${folder} already exists on the host and its ${RESTORE_RECORD_NAME} cannot be read (${record.problem}); choose another --name, or remove it yourself`);
  }
  if (record.target !== "new-vm") {
    throw new HostRestoreRefusedError("--name", "folder-not-ours", `${folder} already exists on the host and its ${RESTORE_RECORD_NAME} is of a restore over VM ${JSON.stringify(record.name)}'s own disks (--over-original), not of a new VM; choose another --name`);
  }
  if (record.name !== plan.name || record.datastore !== plan.datastore) {
    throw new HostRestoreRefusedError("--name", "folder-not-ours", `${folder} already exists on the host and its ${RESTORE_RECORD_NAME} names VM ${JSON.stringify(record.name)} on datastore ${JSON.stringify(record.datastore)}, not this folder (copied or renamed); choose another --name, or remove it yourself`);
  }
  const sameRestore =
    record.point === pointId &&
    record.chunkSizeBytes === chunkSizeBytes &&
    record.disks.length === plan.disks.length &&
    plan.disks.every((disk, i) => record.disks[i]?.index === disk.index && record.disks[i]?.sizeBytes === disk.sizeBytes);
  if (facts.discard) return { kind: "discard", record };
  if (record.registering) {
    throw new HostRestoreRefusedError(
      "--name",
      "leftover-was-registered",
      `${folder} holds a restore of point ${record.point} that had reached registering its VM, and no VM is registered from it now (it may have been unregistered since, and used); register ${plan.vmxPath} with vim-cmd solo/registervm if it is the restored VM, or add ${DISCARD_LEFTOVER_OPTION} to remove it and restore again, or choose another --name`,
    );
  }
  if (!sameRestore) {
    throw new HostRestoreRefusedError(
      "--name",
      "leftover-of-other-point",
      `${folder} was left by an interrupted restore of point ${record.point}${record.point === pointId ? " with other disks" : ""}; restore that point again to carry it on, or add ${DISCARD_LEFTOVER_OPTION} to remove it and restore this one, or choose another --name`,
    );
  }
  return { kind: "resume", record };
}

/** How a restore over the original begins: carrying on an interrupted one, or writing every disk whole (and why, when a record was found). */
export type OverOriginalStart = { kind: "resume"; record: RestoreRecord } | { kind: "whole"; why: string };

/**
 * A restore over the original carries on only from a record in the VM's folder that names this same
 * restore: this point, VM and datastore, chunk size, the same disks at the same files, and the VM's
 * `vmware.log` as it was when that restore began (a power-on writes it: a VM started since may have
 * written to the disks below the recorded chunks). Anything else is rewritten whole, which is always
 * correct over the original; `why` says so and what was found, for the user.
 */
export function decideOverOriginalStart(expected: RestoreRecord, recordText: string | undefined): OverOriginalStart {
  const whole = (why: string): OverOriginalStart => ({ kind: "whole", why: `${why}: its disks are rewritten whole` });
  if (recordText === undefined) return whole("no interrupted restore over this VM was found");
  const record = parseRestoreRecord(recordText);
  if ("problem" in record) return whole(`the VM's folder holds a ${RESTORE_RECORD_NAME} that cannot be read (${record.problem})`);
  if (record.target !== "over-original" || record.name !== expected.name || record.datastore !== expected.datastore) return whole(`the VM's folder holds a ${RESTORE_RECORD_NAME} of another restore (of VM ${JSON.stringify(record.name)}${record.target === "over-original" ? "" : " as a new VM"})`);
  if (record.point !== expected.point) return whole(`an interrupted restore of point ${record.point} over this VM was found, and this is point ${expected.point}`);
  const sameDisks =
    record.chunkSizeBytes === expected.chunkSizeBytes &&
    record.disks.length === expected.disks.length &&
    expected.disks.every((disk, i) => record.disks[i]?.index === disk.index && record.disks[i]?.sizeBytes === disk.sizeBytes && record.disks[i]?.path === disk.path);
  if (!sameDisks) return whole(`an interrupted restore of point ${record.point} over this VM was found, made when the VM had other disks`);
  if (record.vmLog !== expected.vmLog) return whole(`an interrupted restore of point ${record.point} over this VM was found, but the VM was powered on since (its vmware.log changed), and may have written to its disks`);
  return { kind: "resume", record };
}

/** Why a restore stopped, as far as what it should leave goes. */
export type RestoreStopCause =
  /** Ctrl-C (or another abort). */
  | "interrupted"
  /** A connection the retries could not bridge, a host command that failed: a later run may get through. */
  | "failed"
  /** A chunk of the point is missing or damaged in the repository: the same restore stops there every time. */
  | "point-unreadable"
  /** The datastore filled up meanwhile (the restore was checked to fit when it began). */
  | "datastore-full"
  /** The disks were written, but the host's fingerprints of one differ from the point's (docs/adr/0036). */
  | "verification-failed";

/** What the host says when a write finds no space (ENOSPC's wording, which Python's OSError and busybox dd both print). */
const NO_SPACE = /No space left on device/u;

/** The cause of a stopped restore, from its error (and its causes) and whether it was aborted. */
export function restoreStopCause(error: unknown, aborted: boolean): RestoreStopCause {
  if (aborted) return "interrupted";
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    if (at instanceof RepositoryFileError && at.problem !== "io") return "point-unreadable";
    if (at instanceof RestoreVerificationError) return "verification-failed";
    if (NO_SPACE.test(at.message) || (at instanceof SshCommandFailedError && NO_SPACE.test(at.stderr))) return "datastore-full";
  }
  return "failed";
}

/**
 * Whether a restore as a new VM stopped part-way keeps its folder (unregistered, with its record) so the
 * same command carries it on, given why it stopped and how many data bytes its record on the host claims.
 * Kept: data was acknowledged and a later run can finish it (an abort, a link the retries could not
 * bridge, a host error). Removed: nothing worth keeping (only `mkdir` and `vmkfstools -c` to redo), or a
 * run of the same command could never finish it — the point cannot be read, or the datastore filled up,
 * where what the folder holds is the space the datastore's other VMs need now — or what it holds cannot be
 * trusted: a verified restore found a disk that differs from the point (a resume would skip it).
 */
export function keepStoppedRestore(cause: RestoreStopCause, recordedDataBytes: number): boolean {
  if (cause === "point-unreadable" || cause === "datastore-full" || cause === "verification-failed") return false;
  return recordedDataBytes > 0;
}

/** Bytes of the data chunks below `belowChunk`, given which chunks are zero and the length of each. */
export function bytesOfDataChunksBelow(belowChunk: number, index: { isZero(chunk: number): boolean; chunkLength(chunk: number): number }): number {
  let bytes = 0;
  for (let chunk = 0; chunk < belowChunk; chunk++) if (!index.isZero(chunk)) bytes += index.chunkLength(chunk);
  return bytes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
