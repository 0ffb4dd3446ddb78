/**
 * Keeps a restore's record (restore-record.ts, docs/adr/0030) in the VM folder on the host, so that it
 * survives the transporter being killed. Written only after what it claims was acknowledged by the host,
 * so it never claims more than is there; on a host with Python the flat files being written are fsynced
 * first and the record itself is written to a temporary file, fsynced and renamed into place, so it never
 * claims more than survives a host crash either, and is always whole (the old one or the new one).
 *
 * Acknowledged runs come in out of order (several lanes); per disk the record keeps the chunk below which
 * every data run was acknowledged. A save is started when a run is acknowledged and `intervalMs` have passed
 * since the last one began, never two at once, and in the background: the data lanes never wait for it.
 * A save that fails (the connection lost) is not an error of the restore: the record on the host stays
 * behind, which is sound, and the next save catches up.
 */
import { EsxbackupError } from "@esxbackup/domain";
import type { Clock } from "@esxbackup/domain";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh, shellCommand } from "../esxi/ssh/shell-command.js";
import type { RestoreRecord } from "./restore-record.js";
import { RESTORE_RECORD_NAME, serializeRestoreRecord } from "./restore-record.js";
import type { DiskRun } from "./write-disk-runs.js";

/**
 * The least time between two saves. Each is one SSH command (and an fsync); what a kill can cost is the
 * runs acknowledged since the last save — at most this long of transfer — plus the runs in flight.
 */
export const RESTORE_RECORD_INTERVAL_MS = 2000;

/**
 * Saves the record given on stdin as argv[1], after fsyncing the files argv[2:]: a temporary file beside
 * it, written, fsynced and renamed over it. Given to the host's Python with `-c`; valid for Python 3.5.
 */
export const RESTORE_RECORD_PYTHON_SCRIPT = String.raw`import os
import sys


def main(argv):
    path = argv[1]
    temporary = path + ".new"
    data = sys.stdin.buffer.read()
    for name in argv[2:]:
        fd = os.open(name, os.O_WRONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while len(view) > 0:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, path)


main(sys.argv)
`;

/** The folder a record is kept in and the flat files of its disks (a new VM's plan, or the original VM's disks). */
export interface RecordedFolder {
  folderPath: string;
  disks: readonly { index: number; flatPath: string }[];
}

export function restoreRecordPath(folder: Pick<RecordedFolder, "folderPath">): string {
  return `${folder.folderPath}/${RESTORE_RECORD_NAME}`;
}

/** The text of the restore record in the folder, or undefined when there is none. */
export async function readRestoreRecordText(session: Pick<EsxiSshSession, "exec">, folder: Pick<RecordedFolder, "folderPath">, signal: AbortSignal): Promise<string | undefined> {
  const result = await session.exec(sh`cat -- ${restoreRecordPath(folder)}`, { check: false, retryOnConnectionLost: true, signal });
  return result.exitCode === 0 ? result.stdout.toString("utf8") : undefined;
}

interface DiskAcks {
  runs: readonly DiskRun[];
  acknowledged: Uint8Array;
  /** Index in `runs` of the first run not acknowledged. */
  next: number;
}

export class HostRestoreRecord {
  readonly #session: Pick<EsxiSshSession, "exec">;
  readonly #plan: RecordedFolder;
  readonly #record: RestoreRecord;
  /** What the host's record is known to hold: the first one (written with the folder, or found there), then each save acknowledged. */
  #saved: RestoreRecord;
  /** The host's Python, or undefined: saved with `cat` and `mv`, without fsync (nothing confirmed flushes a file from the hosts' shell: docs/adr/0030). */
  readonly #python: string | undefined;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #acks = new Map<number, DiskAcks>();
  #saving: Promise<void> | undefined;
  #lastSaveMs = Number.NEGATIVE_INFINITY;
  #dirty = false;

  constructor(options: { session: Pick<EsxiSshSession, "exec">; plan: RecordedFolder; record: RestoreRecord; python: string | undefined; clock: Clock; intervalMs?: number }) {
    this.#session = options.session;
    this.#plan = options.plan;
    this.#record = options.record;
    this.#saved = structuredClone(options.record);
    this.#python = options.python;
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? RESTORE_RECORD_INTERVAL_MS;
  }

  get record(): RestoreRecord {
    return this.#record;
  }

  /**
   * The record as the host is known to hold it (a save whose answer was lost may have landed too: the host
   * may hold more, never less). What a stopped restore says is there.
   */
  get saved(): RestoreRecord {
    return this.#saved;
  }

  get path(): string {
    return restoreRecordPath(this.#plan);
  }

  /** The command that makes the folder and writes the first record in it: the folder is marked ours from its first moment. */
  makeFolderCommand(): { command: ReturnType<typeof sh>; stdin: Buffer } {
    return { command: sh`mkdir -- ${this.#plan.folderPath} && cat > ${this.path}`, stdin: serializeRestoreRecord(this.#record) };
  }

  /** `vmkfstools -c` of the disk was acknowledged (or it is made again: created false); saved before its data is written. */
  async diskCreated(index: number, created: boolean): Promise<void> {
    const disk = this.#disk(index);
    disk.created = created;
    disk.writtenBelowChunk = 0;
    this.#dirty = true;
    await this.flush();
  }

  /** The data runs about to be written to the disk, in disk order: acknowledgements are counted against them. */
  writing(index: number, runs: readonly DiskRun[]): void {
    this.#acks.set(index, { runs, acknowledged: new Uint8Array(runs.length), next: 0 });
  }

  /** The host acknowledged `run` of the disk; saves in the background when one is due. */
  acknowledged(index: number, run: DiskRun): void {
    const acks = this.#acks.get(index);
    if (acks === undefined) return;
    const position = positionOf(acks.runs, run.first);
    if (position === undefined) return;
    acks.acknowledged[position] = 1;
    const before = acks.next;
    while (acks.next < acks.runs.length && acks.acknowledged[acks.next] === 1) acks.next += 1;
    if (acks.next === before) return;
    const following = acks.runs[acks.next];
    const last = acks.runs[acks.runs.length - 1] as DiskRun;
    this.#disk(index).writtenBelowChunk = following === undefined ? last.first + last.count : following.first;
    this.#dirty = true;
    if (this.#saving === undefined && this.#clock.now().getTime() - this.#lastSaveMs >= this.#intervalMs) void this.#save();
  }

  /** Every file is written: saved as about to be registered (restore-record.ts says why). */
  async registering(): Promise<void> {
    this.#record.registering = true;
    // Not best effort: without it, a kill after registration could leave a record a later run would carry on.
    await this.saveOrFail("before the VM is registered");
  }

  /** Saves the record now, and fails when it could not be: `when` says what waited for it. */
  async saveOrFail(when: string): Promise<void> {
    this.#dirty = true;
    await this.flush();
    if (this.#dirty) throw new EsxbackupError("host_write_failed", `${this.path} could not be saved ${when}`);
  }

  /** The VM registered from the folder was unregistered by this restore's undo, never powered on: the record may be carried on again. */
  notRegistering(): void {
    if (!this.#record.registering) return;
    this.#record.registering = false;
    this.#dirty = true;
  }

  /** Waits for a save in flight, then saves what is not saved yet. */
  async flush(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
    if (this.#dirty) await this.#save();
  }

  /** Waits for a save in flight (before the folder is removed, or the record is). */
  async settled(): Promise<void> {
    while (this.#saving !== undefined) await this.#saving;
  }

  /** Removes the record: the VM is registered, the folder is no longer a restore in progress. */
  async remove(): Promise<void> {
    await this.settled();
    // With its temporary file, left behind if a save was cut off by a kill.
    await this.#session.exec(sh`rm -f -- ${this.path} ${`${this.path}.new`}`, { retryOnConnectionLost: true });
  }

  #disk(index: number): RestoreRecord["disks"][number] {
    const disk = this.#record.disks.find((d) => d.index === index);
    if (disk === undefined) throw new Error(`the restore record has no disk ${index}`);
    return disk;
  }

  #save(): Promise<void> {
    this.#dirty = false;
    this.#lastSaveMs = this.#clock.now().getTime();
    const snapshot = structuredClone(this.#record);
    const content = serializeRestoreRecord(snapshot);
    const created = this.#plan.disks.filter((disk) => this.#disk(disk.index).created).map((disk) => disk.flatPath);
    const command =
      this.#python === undefined
        ? sh`cat > ${`${this.path}.new`} && mv -f -- ${`${this.path}.new`} ${this.path}`
        : shellCommand([this.#python, "-c", RESTORE_RECORD_PYTHON_SCRIPT, this.path, ...created]);
    const saving = this.#session
      .exec(command, { stdin: content, retryOnConnectionLost: true })
      .then(
        () => {
          this.#saved = snapshot;
        },
        () => {
          // Behind is sound (it claims less than is there); the next save catches up.
          this.#dirty = true;
        },
      )
      .finally(() => {
        if (this.#saving === saving) this.#saving = undefined;
      });
    this.#saving = saving;
    return saving;
  }
}

/** The position of the run starting at `first` in runs sorted by their first chunk (binary search: a 2 TB disk has millions). */
function positionOf(runs: readonly DiskRun[], first: number): number | undefined {
  let low = 0;
  let high = runs.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = (runs[middle] as DiskRun).first;
    if (at === first) return middle;
    if (at < first) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
