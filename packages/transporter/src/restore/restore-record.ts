/**
 * The record a restore to a host keeps in the VM folder it creates (docs/adr/0030): one small JSON file,
 * `.esxbackup-restore.json`, written in the same host command as the `mkdir` and rewritten (whole, by
 * rename) as the host acknowledges disk runs. It marks the folder as this restore's own — which point, which
 * VM name and datastore, a restore id — and says what of it is on the host: which disks `vmkfstools -c`
 * finished, and below which chunk every data chunk of a disk was acknowledged. It is removed once the VM is
 * registered: a folder holding it is a restore that has not finished.
 *
 * `decideLeftoverFolder` is the pure decision on a folder that exists before a restore begins: resume it,
 * discard it (asked for explicitly), or refuse it as today — table-tested.
 */
import type { PointId } from "@esxbackup/domain";
import { HostRestoreRefusedError } from "./host-restore-refused-error.js";
import type { HostRestorePlan } from "./plan-host-restore.js";

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
  /** Every data chunk of the disk below this one was acknowledged as written (0: none yet). */
  writtenBelowChunk: number;
}

export interface RestoreRecord {
  restoreId: string;
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
}

/** The record of a restore about to begin: nothing created, nothing written. */
export function newRestoreRecord(plan: HostRestorePlan, pointId: PointId, chunkSizeBytes: number, restoreId: string): RestoreRecord {
  return {
    restoreId,
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
  const { restoreId, point, name, datastore, chunkSizeBytes, disks, registering } = value;
  if (typeof registering !== "boolean") return { problem: "its registering flag is missing" };
  if (typeof restoreId !== "string" || typeof point !== "string" || typeof name !== "string" || typeof datastore !== "string") return { problem: "its restoreId, point, name or datastore is missing" };
  if (!isCount(chunkSizeBytes) || chunkSizeBytes === 0) return { problem: "its chunkSizeBytes is not a positive integer" };
  if (!Array.isArray(disks)) return { problem: "its disks are missing" };
  const parsed: RestoreRecordDisk[] = [];
  for (const disk of disks as unknown[]) {
    if (!isObject(disk) || !isCount(disk["index"]) || !isCount(disk["sizeBytes"]) || typeof disk["created"] !== "boolean" || !isCount(disk["writtenBelowChunk"])) {
      return { problem: "one of its disks is not {index, sizeBytes, created, writtenBelowChunk}" };
    }
    if (!disk["created"] && disk["writtenBelowChunk"] !== 0) return { problem: `disk ${disk["index"]} has data recorded but was never created` };
    parsed.push({ index: disk["index"], sizeBytes: disk["sizeBytes"], created: disk["created"], writtenBelowChunk: disk["writtenBelowChunk"] });
  }
  return { restoreId, point, name, datastore, chunkSizeBytes, disks: parsed, registering };
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
