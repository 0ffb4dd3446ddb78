/**
 * What `esxbackup backup` reports: each VM's point (or why it failed) and a summary of the run — bytes read
 * on the host and sent, stored, skipped (unchanged, zero, deduplicated), duration and rate. The same object
 * is the `--json` output; the lines are its text form. Built from error messages and counters only: no
 * credential can reach it.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { BackupCounters, VmBackupOutcome } from "@esxbackup/transporter";
import { formatBytes } from "./repo/open-repository.js";
import { formatRate } from "./repo/transfer-meter.js";

export type VmReport =
  | {
      vm: string;
      point: string;
      previousPoint: string | null;
      matchedBy: "uuid" | "vmid-and-name" | null;
      /** The snapshot was quiesced; false with `--quiesce-if-possible` where the host refused it. */
      quiesced: boolean;
      /** What the backup did not do as asked, though it made the point (VmBackupResult.warnings). */
      warnings: string[];
      seconds: number;
      counters: BackupCounters;
      disks: { key: string; name: string; counters: BackupCounters; changedBytes?: number }[];
    }
  | { vm: string; error: string; code: string };

export interface RunSummary {
  vmsBackedUp: number;
  vmsFailed: number;
  diskBytes: number;
  /** Read from the host's disks and sent over SSH (fingerprints aside). */
  bytesRead: number;
  /**
   * Of the disks' bytes, those stored as new chunks: what was read, and the unread rest of the changed
   * chunks (`bytesRebuiltUnread`). With the skipped bytes below it adds up to `diskBytes`, as each VM's line.
   */
  bytesNew: number;
  /** What the new chunks took in the repository. */
  bytesStored: number;
  bytesSkippedUnchanged: number;
  bytesSkippedZero: number;
  bytesDeduplicated: number;
  seconds: number;
  megabytesPerSecond: number;
  /** `--limit-rate`: the most read from the host per second, all VMs together; null when unlimited. */
  limitBytesPerSecond: number | null;
  /** How long in all some read waited for the limit (0 without a limit). */
  secondsHeldByLimit: number;
  /**
   * `--limit-host-read`: the most the host may read from its datastore per second (fingerprint pass and
   * data reads), all VMs together; null when unlimited.
   */
  hostReadLimitBytesPerSecond: number | null;
  /** How long in all some hash part or read waited for the host read limit (0 without it). */
  secondsHeldByHostReadLimit: number;
}

/** The limit of a run and what it did (TransferRateLimiter). */
export interface AppliedRateLimit {
  bytesPerSecond: number;
  seconds: number;
}

export function backupReport(
  host: string,
  outcomes: readonly VmBackupOutcome[],
  seconds: number,
  limit?: AppliedRateLimit,
  hostReadLimit?: AppliedRateLimit,
): { host: string; vms: VmReport[]; summary: RunSummary } {
  const vms: VmReport[] = outcomes.map((outcome) => {
    if ("error" in outcome) {
      const error = outcome.error;
      return { vm: outcome.vm, error: error instanceof Error ? error.message : String(error), code: error instanceof EsxbackupError ? error.code : "unexpected" };
    }
    const r = outcome.result;
    return {
      vm: r.vm,
      point: r.point,
      previousPoint: r.previous?.pointId ?? null,
      matchedBy: r.previous?.matchedBy ?? null,
      quiesced: r.quiesced,
      warnings: r.warnings,
      seconds: r.seconds,
      counters: r.counters,
      disks: r.disks.map((d) => ({ key: d.key, name: d.name, counters: d.counters, ...(d.changed === undefined ? {} : { changedBytes: d.changed.bytes }) })),
    };
  });
  const done = vms.flatMap((vm) => ("counters" in vm ? [vm.counters] : []));
  const sum = (field: keyof BackupCounters): number => done.reduce((total, c) => total + c[field], 0);
  const bytesRead = sum("bytesRead");
  return {
    host,
    vms,
    summary: {
      vmsBackedUp: done.length,
      vmsFailed: vms.length - done.length,
      diskBytes: sum("diskSizeBytes"),
      bytesRead,
      bytesNew: sum("bytesNew"),
      bytesStored: sum("bytesWritten"),
      bytesSkippedUnchanged: sum("bytesTakenOver"),
      bytesSkippedZero: sum("bytesZeroAtSource") + sum("bytesSkippedZero"),
      bytesDeduplicated: sum("bytesDeduplicated"),
      seconds,
      megabytesPerSecond: seconds > 0 ? bytesRead / 1e6 / seconds : 0,
      limitBytesPerSecond: limit?.bytesPerSecond ?? null,
      secondsHeldByLimit: limit?.seconds ?? 0,
      hostReadLimitBytesPerSecond: hostReadLimit?.bytesPerSecond ?? null,
      secondsHeldByHostReadLimit: hostReadLimit?.seconds ?? 0,
    },
  };
}

/**
 * One line per VM. A failure worded as an earlier one (a login refused part-way, a repository that filled
 * up: every VM left fails alike) points to the first VM that failed so instead of printing the same
 * paragraph again.
 */
/** `full`: the run had --full, so a point without a previous one is a full backup, not necessarily the VM's first. */
export function formatVmLines(vms: readonly VmReport[], options: { full?: boolean } = {}): string[] {
  const firstWith = new Map<string, string>();
  return vms.map((vm) => {
    if (!("error" in vm)) return formatVmLine(vm, options);
    const first = firstWith.get(vm.error);
    if (first === undefined) firstWith.set(vm.error, vm.vm);
    return first === undefined ? formatVmLine(vm, options) : `${JSON.stringify(vm.vm)}: FAILED: the same as ${JSON.stringify(first)} above`;
  });
}

export function formatVmLine(vm: VmReport, options: { full?: boolean } = {}): string {
  if ("error" in vm) return `${JSON.stringify(vm.vm)}: FAILED: ${vm.error}`;
  const c = vm.counters;
  const from = vm.previousPoint !== null ? ` (from ${vm.previousPoint})` : options.full === true ? " (full backup, --full)" : " (first backup)";
  return (
    `${JSON.stringify(vm.vm)}: point ${vm.point}${from}: ` +
    `disks ${formatBytes(c.diskSizeBytes)}, ${formatBytes(c.bytesRead)} read, ${formatBytes(c.bytesNew)} new stored in ${formatBytes(c.bytesWritten)}, ` +
    `${formatBytes(c.bytesTakenOver)} unchanged, ${formatBytes(c.bytesZeroAtSource + c.bytesSkippedZero)} zero, ${formatBytes(c.bytesDeduplicated)} deduplicated, in ${vm.seconds.toFixed(1)} s`
  );
}

export function formatRunSummary(s: RunSummary): string {
  return (
    `${s.vmsBackedUp} VM(s) backed up${s.vmsFailed === 0 ? "" : `, ${s.vmsFailed} failed`}: ${formatBytes(s.bytesRead)} read on the host and sent, ` +
    `${formatBytes(s.bytesNew)} new stored in ${formatBytes(s.bytesStored)}; skipped ${formatBytes(s.bytesSkippedUnchanged)} unchanged, ${formatBytes(s.bytesSkippedZero)} zero, ` +
    `${formatBytes(s.bytesDeduplicated)} deduplicated; ${s.seconds.toFixed(1)} s, ${formatRate(s.seconds > 0 ? s.bytesRead / s.seconds : 0)}` +
    (s.limitBytesPerSecond === null ? "" : ` (limited to ${formatRate(s.limitBytesPerSecond)}: reads held back ${s.secondsHeldByLimit.toFixed(1)} s)`) +
    (s.hostReadLimitBytesPerSecond === null ? "" : ` (host reads limited to ${formatRate(s.hostReadLimitBytesPerSecond)}: held back ${s.secondsHeldByHostReadLimit.toFixed(1)} s)`)
  );
}
