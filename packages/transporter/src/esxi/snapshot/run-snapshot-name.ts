/**
 * The name of the snapshot a backup run takes: a fixed prefix and the run's id. The name is how a later run
 * tells our snapshots from the user's (a crashed run leaves one behind, found by its name and removed), so
 * the run id is restricted to a token that cannot make a name read as someone else's: no spaces, quotes or
 * separators a person would type into a snapshot name of their own by accident.
 */
import { InvalidInputError } from "@esxbackup/domain";

export const RUN_SNAPSHOT_PREFIX = "esxbackup-run-";

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$/u;
const RUN_SNAPSHOT_NAME = new RegExp(`^${RUN_SNAPSHOT_PREFIX}([A-Za-z0-9][A-Za-z0-9_-]{3,63})$`, "u");

/** `esxbackup-run-<runId>`; a run id that is not a 4–64 character token is refused. */
export function runSnapshotName(runId: string): string {
  if (!RUN_ID.test(runId)) throw new InvalidInputError("runId", `'${runId}' is not a run id (4 to 64 letters, digits, '-' or '_', starting with a letter or digit)`);
  return `${RUN_SNAPSHOT_PREFIX}${runId}`;
}

/** The run id a snapshot name carries, or undefined when the snapshot is not one of ours. */
export function runIdOfSnapshotName(name: string): string | undefined {
  return RUN_SNAPSHOT_NAME.exec(name)?.[1];
}

/** What the snapshot's description says, for a person who finds it in the host client. */
export function runSnapshotDescription(runId: string): string {
  return `Taken by esxbackup for backup run ${runId}; removed when the run ends, or by the next backup of this VM if the run crashed.`;
}
