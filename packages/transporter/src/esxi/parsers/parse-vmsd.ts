/**
 * A VM's `.vmsd` snapshot metadata (esxi-facts 2.4), in the `.vmx` syntax. Snapshot `N` is the group of
 * `snapshotN.*` keys; N need not follow the file's order or the uids. `snapshotN.diskM.fileName` is the
 * disk the snapshot froze. An empty file means no snapshots. `createTimeHigh`/`createTimeLow` are kept as
 * printed (the low half is a signed 32-bit number and may be negative); `createdAt` reads them as one
 * 64-bit count of microseconds since the epoch: a real host's snapshot read so falls in the minute its delta
 * was written (fixture `vmsd-4.x-verbatim.txt`), and a 7.0 host's four snapshots follow one another.
 * `snapshotN.type = "1"` appears on some snapshots (a Workstation VM's, its memory file listed beside it, and
 * two of a 7.0 host's); what it means is not documented, and the disks are frozen alike, so it is not read.
 */
import { HostOutputError } from "./host-output-error.js";
import { unexpectedLine } from "./output-lines.js";
import { readVmxDictionary, vmxBoolean, type VmxDictionary, type VmxEntry } from "./vmx-dictionary.js";

export interface VmsdDisk {
  /** `scsi0:0`; ESXi writes it, a hosted product's `.vmsd` may leave it out. */
  readonly node: string | undefined;
  readonly fileName: string;
}

export interface VmsdSnapshot {
  /** N of `snapshotN.*`. */
  readonly index: number;
  readonly uid: number;
  /** Uid of the parent snapshot; undefined for a root. */
  readonly parentUid: number | undefined;
  /** The `.vmsn` file. */
  readonly fileName: string;
  readonly displayName: string;
  readonly description: string;
  readonly createTimeHigh: number | undefined;
  readonly createTimeLow: number | undefined;
  readonly createdAt: Date | undefined;
  readonly disks: readonly VmsdDisk[];
}

export interface ParsedVmsd {
  readonly lastUid: number | undefined;
  /** Uid of the snapshot the VM currently runs on. */
  readonly currentUid: number | undefined;
  readonly needConsolidate: boolean;
  /** Ordered by index. */
  readonly snapshots: readonly VmsdSnapshot[];
}

const SNAPSHOT_KEY = /^snapshot(\d+)\./u;
const SNAPSHOT_DISK_KEY = /^snapshot(\d+)\.disk(\d+)\./u;

export function parseVmsd(text: string, source = ".vmsd"): ParsedVmsd {
  const dict = readVmxDictionary(text, source);
  const int = (key: string, signed = false): number | undefined => integerOf(dict.get(key), source, signed);
  const indexes = new Set<number>();
  for (const key of dict.keys()) {
    const m = SNAPSHOT_KEY.exec(key);
    if (m?.[1] !== undefined) indexes.add(Number(m[1]));
  }
  const snapshots = [...indexes]
    .sort((a, b) => a - b)
    .map((index): VmsdSnapshot => {
      const p = `snapshot${index}.`;
      const uid = int(`${p}uid`);
      if (uid === undefined) throw new HostOutputError(source, `snapshot${index} has no uid`);
      const numDisks = int(`${p}numdisks`) ?? 0;
      const disks: VmsdDisk[] = [];
      for (let d = 0; d < numDisks; d++) {
        const fileName = dict.get(`${p}disk${d}.filename`)?.value;
        const node = dict.get(`${p}disk${d}.node`)?.value;
        if (fileName === undefined) throw new HostOutputError(source, `snapshot${index} declares ${numDisks} disks but disk${d} has no fileName`);
        disks.push({ node: node?.toLowerCase(), fileName });
      }
      const high = int(`${p}createtimehigh`, true);
      const low = int(`${p}createtimelow`, true);
      return {
        index,
        uid,
        parentUid: int(`${p}parent`),
        fileName: dict.get(`${p}filename`)?.value ?? "",
        displayName: dict.get(`${p}displayname`)?.value ?? "",
        description: dict.get(`${p}description`)?.value ?? "",
        createTimeHigh: high,
        createTimeLow: low,
        createdAt: high === undefined || low === undefined ? undefined : new Date(Number((BigInt(high) * 2n ** 32n + BigInt(low >>> 0)) / 1000n)),
        disks,
      };
    });
  checkDiskCounts(dict, snapshots, source);
  checkConsistency(dict, snapshots, source);
  return { lastUid: int("snapshot.lastuid"), currentUid: int("snapshot.current"), needConsolidate: vmxBoolean(dict.get("snapshot.needconsolidate"), source) ?? false, snapshots };
}

/** A count, uid or parent that contradicts the rest of the file means the file is not what we think it is. */
function checkConsistency(dict: VmxDictionary, snapshots: readonly VmsdSnapshot[], source: string): void {
  const count = dict.get("snapshot.numsnapshots");
  if (count !== undefined && integerOf(count, source, false) !== snapshots.length) {
    throw unexpectedLine(source, `snapshot.numSnapshots says ${count.value} but the file describes ${snapshots.length}`, count.line);
  }
  const uids = new Set(snapshots.map((s) => s.uid));
  if (uids.size !== snapshots.length) throw new HostOutputError(source, "two snapshots share a uid");
  for (const s of snapshots) {
    if (s.parentUid !== undefined && !uids.has(s.parentUid)) throw new HostOutputError(source, `snapshot${s.index} names parent uid ${s.parentUid}, which is not in the file`);
  }
  const current = dict.get("snapshot.current");
  if (current !== undefined && snapshots.length > 0 && !uids.has(integerOf(current, source, false) ?? -1)) {
    throw unexpectedLine(source, "snapshot.current names a snapshot that is not in the file", current.line);
  }
}

/**
 * A `snapshotN.diskM.*` key beyond `snapshotN.numDisks` (or with no count at all) is a disk the snapshot
 * froze that reading by the count would silently drop.
 */
function checkDiskCounts(dict: VmxDictionary, snapshots: readonly VmsdSnapshot[], source: string): void {
  for (const [key, entry] of dict) {
    const m = SNAPSHOT_DISK_KEY.exec(key);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const snapshot = snapshots.find((s) => s.index === Number(m[1]));
    if (snapshot !== undefined && Number(m[2]) >= snapshot.disks.length) {
      throw unexpectedLine(source, `snapshot${m[1]} has ${snapshot.disks.length} disks by its numDisks, but this line describes disk${m[2]}`, entry.line);
    }
  }
}

function integerOf(entry: VmxEntry | undefined, source: string, signed: boolean): number | undefined {
  if (entry === undefined) return undefined;
  if (!(signed ? /^-?\d+$/u : /^\d+$/u).test(entry.value.trim())) throw unexpectedLine(source, `'${entry.key}' is not ${signed ? "an integer" : "a non-negative integer"}`, entry.line);
  return Number(entry.value.trim());
}
