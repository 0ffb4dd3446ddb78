/**
 * A restored disk checked where it was written: the host fingerprints the flat extent it was given (the
 * same commands as a backup's, docs/adr/0019) and the digests are compared with the point's own, so what
 * the datastore holds is proved equal to the point without sending the disk back. The point's stored
 * fingerprints are used when it has them (a host backup records them); otherwise they are computed here
 * from the repository's chunks at the host's default kind (docs/adr/0036-restore-verified-on-the-host.md).
 */
import { FINGERPRINT_ALGORITHMS } from "@esxbackup/domain";
import type { DiskFingerprints, PointId } from "@esxbackup/domain";
import { readDiskFingerprints } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import { hashPointDisk } from "../backup/hash-point-disk.js";
import { EsxiDiskSource } from "../esxi/disk/esxi-disk-source.js";
import { readingFor } from "../esxi/disk/host-disk-reader.js";
import { chooseHashingMethod, hashingCapabilitiesOf } from "../esxi/hashing/hashing-method.js";
import { chooseHostFingerprintKind } from "../esxi/hashing/host-fingerprint-kind.js";
import type { BackupHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { ProgressReporter } from "../progress/progress-reporter.js";
import type { HostRestoreSession } from "./restore-to-host.js";
import { RestoreVerificationError } from "./restore-verification-error.js";

/** How a disk compared: `blocks` fingerprinted, how many differ, and where the first that differs starts. */
export interface FingerprintComparison {
  blocks: number;
  mismatchedBlocks: number;
  firstMismatchBytes?: number;
}

/** Compares two fingerprint sets of one kind, block by block (pure). */
export function compareFingerprints(expected: DiskFingerprints, actual: DiskFingerprints): FingerprintComparison {
  if (expected.algorithm !== actual.algorithm || expected.blockSizeBytes !== actual.blockSizeBytes || expected.sizeBytes !== actual.sizeBytes) {
    throw new Error(
      `fingerprints of different kinds: ${expected.algorithm}/${expected.blockSizeBytes} of ${expected.sizeBytes} bytes against ${actual.algorithm}/${actual.blockSizeBytes} of ${actual.sizeBytes}`,
    );
  }
  const width = expected.digestLengthBytes;
  const blocks = expected.digests.length / width;
  if (actual.digests.length !== expected.digests.length) throw new Error(`${actual.digests.length / width} fingerprints against the point's ${blocks}`);
  const want = Buffer.from(expected.digests.buffer, expected.digests.byteOffset, expected.digests.byteLength);
  const got = Buffer.from(actual.digests.buffer, actual.digests.byteOffset, actual.digests.byteLength);
  let mismatchedBlocks = 0;
  let firstMismatchBytes: number | undefined;
  for (let block = 0; block < blocks; block++) {
    const at = block * width;
    if (want.compare(got, at, at + width, at, at + width) !== 0) {
      mismatchedBlocks += 1;
      firstMismatchBytes ??= block * expected.blockSizeBytes;
    }
  }
  return { blocks, mismatchedBlocks, ...(firstMismatchBytes === undefined ? {} : { firstMismatchBytes }) };
}

export interface VerifyRestoredDiskRequest {
  session: HostRestoreSession;
  capabilities: Pick<BackupHostCapabilities, "python" | "hashApplets" | "tools">;
  repository: Repository;
  pointId: PointId;
  diskIndex: number;
  /** The restored flat extent on the host. */
  flatPath: string;
  sizeBytes: number;
  /** Hash commands at once (the restore's channels). */
  channels?: number;
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
}

export interface RestoredDiskVerification extends FingerprintComparison {
  /** Where the disk was fingerprinted: by the host (`python`, `busybox`), or read back and hashed here. */
  method: "python" | "busybox" | "full-read";
}

/** Fingerprints the restored disk on the host and compares it with the point's disk. */
export async function verifyRestoredDisk(request: VerifyRestoredDiskRequest): Promise<RestoredDiskVerification> {
  const { repository, pointId, diskIndex, sizeBytes, signal } = request;
  const stored = await readDiskFingerprints(repository, pointId, diskIndex);
  const hostKind = chooseHostFingerprintKind(sizeBytes, stored);
  const kind = { ...hostKind, digestLengthBytes: FINGERPRINT_ALGORITHMS[hostKind.algorithm] };
  const sameKind = stored !== undefined && stored.algorithm === kind.algorithm && stored.blockSizeBytes === kind.blockSizeBytes && stored.sizeBytes === sizeBytes;
  const expected = sameKind ? stored : await hashPointDisk(repository, { pointId, diskIndex }, kind, { signal, onProgress: () => undefined });
  const hashingCapabilities = hashingCapabilitiesOf(request.capabilities);
  const hashing = chooseHashingMethod(hashingCapabilities, kind.algorithm, { blockSizeBytes: kind.blockSizeBytes });
  const source = new EsxiDiskSource({
    session: request.session,
    path: request.flatPath,
    name: request.flatPath,
    sizeBytes,
    hashing,
    reading: readingFor(hashing, hashingCapabilities),
    ...(request.channels === undefined ? {} : { channels: request.channels }),
  });
  const { fingerprints } = await source.fingerprint(kind, { signal, onProgress: request.onProgress });
  // A busybox without the wanted digest applet is read back and hashed here (EsxiDiskSource): the same kind.
  const method = hashing.kind === "full-read" || hashing.algorithm !== kind.algorithm ? "full-read" : hashing.kind;
  return { ...compareFingerprints(expected, fingerprints), method };
}

/** What a restore asks: the point, the host, and how to report. */
export interface VerifyRestoredDisksRequest {
  session: HostRestoreSession;
  capabilities: Pick<BackupHostCapabilities, "python" | "hashApplets" | "tools">;
  repository: Repository;
  pointId: PointId;
  channels?: number;
  signal: AbortSignal;
  progress: ProgressReporter;
  /** The VM, for the progress lines. */
  vm: string;
  onStep?: (step: string) => void;
}

/** What a verified restore reports: every block of every disk matched. */
export interface RestoreVerification {
  disks: number;
  blocks: number;
  /** How the last disk was fingerprinted (the same for every disk of a host). */
  method: RestoredDiskVerification["method"];
}

/**
 * Verifies each restored disk in turn (one `fingerprint` progress task per disk) and throws a
 * `RestoreVerificationError` at the first that differs from the point.
 */
export async function verifyRestoredDisks(
  request: VerifyRestoredDisksRequest,
  disks: readonly { index: number; label: string; flatPath: string; sizeBytes: number }[],
): Promise<RestoreVerification> {
  let blocks = 0;
  let method: RestoredDiskVerification["method"] = "python";
  for (const disk of disks) {
    request.onStep?.(`verifying ${disk.flatPath} on the host`);
    const task = request.progress.start({ phase: "fingerprint", vm: request.vm, disk: disk.label, bytesTotal: disk.sizeBytes });
    try {
      const outcome = await verifyRestoredDisk({
        session: request.session,
        capabilities: request.capabilities,
        repository: request.repository,
        pointId: request.pointId,
        diskIndex: disk.index,
        flatPath: disk.flatPath,
        sizeBytes: disk.sizeBytes,
        ...(request.channels === undefined ? {} : { channels: request.channels }),
        signal: request.signal,
        onProgress: (bytesDone) => task.update(bytesDone),
      });
      if (outcome.mismatchedBlocks > 0) throw new RestoreVerificationError(`${disk.label} (${disk.flatPath})`, outcome);
      blocks += outcome.blocks;
      method = outcome.method;
    } finally {
      task.stop();
    }
  }
  return { disks: disks.length, blocks, method };
}
