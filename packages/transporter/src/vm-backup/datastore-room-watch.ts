/**
 * Watches a running VM's datastores while its run snapshot is open (docs/adr/0039): every `intervalMs` the
 * host's volumes are read again and judged; the first time one is under the minimum, `onShortfall` is
 * called once and the watch ends (the caller stops the backup, which removes the snapshot). One read at a
 * time, never overlapping. A read that fails is skipped and the next one tried: the watch guards the
 * backup, it must not be what breaks it (a dropped connection is the readers' to retry).
 */
import type { MountedFilesystem } from "../esxi/probe/parse-filesystem-list.js";
import type { DatastoreShortfall } from "./datastore-room.js";

/** Often enough that a guest cannot write the run-time margin (half the minimum) away in between on any usual datastore. */
export const DATASTORE_WATCH_INTERVAL_MS = 30_000;

export interface DatastoreRoomWatch {
  /** Ends the watch; a read under way is let finish and its verdict dropped. */
  stop(): void;
}

export function watchDatastoreRoom(options: {
  read: () => Promise<MountedFilesystem[]>;
  judge: (filesystems: MountedFilesystem[]) => DatastoreShortfall[];
  intervalMs: number;
  onShortfall: (shortfalls: DatastoreShortfall[]) => void;
}): DatastoreRoomWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(() => void round(), options.intervalMs);
    // The watch alone must not keep a process alive.
    timer.unref();
  };
  const round = async (): Promise<void> => {
    let shortfalls: DatastoreShortfall[] = [];
    try {
      shortfalls = options.judge(await options.read());
    } catch {
      // Skipped (above); the next round reads again.
    }
    if (stopped) return;
    if (shortfalls.length > 0) {
      stopped = true;
      options.onShortfall(shortfalls);
      return;
    }
    schedule();
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
