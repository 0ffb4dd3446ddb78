/**
 * @esxbackup/repository — where every byte of every backup lives: a content-addressed chunk store of
 * fixed-size disk chunks, one fixed index per disk per recovery point, and a manifest per point. The
 * on-disk format is the contract written down in docs/repository-format.md. Layers, each using only the one
 * below: BlobStore (bytes by name) → envelope/chunk codec → Repository (read) / PointWriter (write) →
 * maintenance (verify, prune, gc, stats).
 */
export type { BlobInfo, BlobStore, WriteBatch } from "./blob-store.js";
export { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
export type { FsyncStrategy } from "./local-directory-blob-store.js";
export { MemoryBlobStore } from "./memory-blob-store.js";
export { runBlobStoreConformance } from "./blob-store-conformance.js";
export { Repository } from "./repository.js";
export { decodingThreads } from "./chunk-codec-pool.js";
export type { InitOptions, OpenOptions } from "./repository.js";
export {
  DEFAULT_CHUNK_SIZE_BYTES,
  MAX_CHUNK_SIZE_BYTES,
  MIN_CHUNK_SIZE_BYTES,
  REPOSITORY_FORMAT_VERSION,
  checkChunkSize,
  checkCompressionLevel,
  compressionLevelOf,
} from "./repository-config.js";
export { DEFAULT_COMPRESSION_LEVEL, MAX_COMPRESSION_LEVEL, MIN_COMPRESSION_LEVEL, SNAPSHOT_BACKUP_COMPRESSION_FLOOR } from "./envelope.js";
export type { RepositoryConfig } from "./repository-config.js";
export { PointWriter } from "./point-writer.js";
export type { BeginPointOptions } from "./point-writer.js";
export { DiskWriter } from "./disk-writer.js";
export type { OpenDiskOptions } from "./disk-writer.js";
export type { WriteStats } from "./chunk-sink.js";
export { DiskReader } from "./disk-reader.js";
export { restoreDiskImage } from "./restore-disk-image.js";
export type { RestoreImageOptions, RestoreProgress } from "./restore-disk-image.js";
export { blockDeviceSizeBytes, checkRestoreTarget } from "./restore-target.js";
export type { RestoreTarget, RestoreTargetOptions } from "./restore-target.js";
export { vmdkDescriptor } from "./vmdk-descriptor.js";
export { FixedIndex } from "./fixed-index.js";
export { readDiskFingerprints, readPointDiskFingerprints } from "./read-disk-fingerprints.js";
export { FingerprintHasher } from "./fingerprint-hasher.js";
export { RepositoryFileError } from "./repository-file-error.js";
export type { RepositoryFileProblem } from "./repository-file-error.js";
export { NoSuchPointError } from "./no-such-point-error.js";
export { UnsupportedFormatError } from "./unsupported-format-error.js";
export { WrongPassphraseError } from "./wrong-passphrase-error.js";
export { changePassphrase } from "./change-passphrase.js";
export type { ChangePassphraseOptions, PassphraseChange } from "./change-passphrase.js";
export { verifyRepository } from "./verify-repository.js";
export type { PointsLogHead, VerifyOptions, VerifyProblem, VerifyReport } from "./verify-repository.js";
export { executePrune, planPrune } from "./prune-points.js";
export type { PrunePlan } from "./prune-points.js";
export { DEFAULT_GC_GRACE_MS, collectGarbage } from "./collect-garbage.js";
export type { GcOptions, GcResult } from "./collect-garbage.js";
export { repositoryStats } from "./repository-stats.js";
export type { RepositoryStats } from "./repository-stats.js";
