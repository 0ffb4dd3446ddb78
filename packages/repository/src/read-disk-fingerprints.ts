/**
 * Reads back the change-detection fingerprints of a point's disk (docs/repository-format.md §7): the
 * `disk-<n>.fpr` file the manifest names, checked against the manifest (digest length, one digest per
 * block of the disk). A damaged file is a RepositoryFileError naming it; a disk recorded without
 * fingerprints gives undefined.
 */
import { InvalidInputError, fingerprintBlockCount } from "@esxbackup/domain";
import type { DiskFingerprints, PointId, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
import { EnvelopeKind } from "./envelope.js";
import type { Repository } from "./repository.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { fingerprintsKey } from "./repository-layout.js";

const HEADER_BYTES = 4;

/** The fingerprints of disk `diskIndex` of a published point, or undefined when it has none. */
export async function readDiskFingerprints(repository: Repository, pointId: PointId, diskIndex: number): Promise<DiskFingerprints | undefined> {
  const point = await repository.readPoint(pointId);
  const disk = point.disks[diskIndex];
  if (disk === undefined) throw new InvalidInputError("disk", `point ${pointId} has ${point.disks.length} disk(s), numbered from 0 (got ${diskIndex})`);
  return readPointDiskFingerprints(repository, point, disk);
}

/** The same for a manifest already read (verify, and writers comparing with their base point). */
export async function readPointDiskFingerprints(repository: Repository, point: RecoveryPoint, disk: RecoveryPointDisk): Promise<DiskFingerprints | undefined> {
  const info = disk.fingerprints;
  if (info === undefined) return undefined;
  const key = fingerprintsKey(point.pointId, disk.index);
  const plain = await repository.readEnvelope(key, EnvelopeKind.fingerprints);
  const fail = (detail: string): never => {
    throw new RepositoryFileError("corrupt", repository.store.locate(key), detail);
  };
  if (plain.byteLength < HEADER_BYTES) fail(`fingerprints file is truncated (${plain.byteLength} bytes)`);
  const digestLengthBytes = plain.readUInt32LE(0);
  if (digestLengthBytes !== info.digestLengthBytes) fail(`holds ${digestLengthBytes}-byte digests, the manifest says ${info.digestLengthBytes}`);
  const expected = HEADER_BYTES + fingerprintBlockCount(disk.sizeBytes, info.blockSizeBytes) * digestLengthBytes;
  if (plain.byteLength !== expected) {
    fail(`holds ${plain.byteLength} bytes, expected ${expected} for a ${disk.sizeBytes}-byte disk in ${info.blockSizeBytes}-byte blocks`);
  }
  return { ...info, sizeBytes: disk.sizeBytes, digests: Buffer.from(plain.subarray(HEADER_BYTES)) };
}
