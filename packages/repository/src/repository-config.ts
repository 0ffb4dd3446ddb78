/**
 * `config.json` (docs/repository-format.md §3) and the version rule: a repository of a newer format version
 * is refused before anything else is read or written.
 */
import { randomBytes } from "node:crypto";
import { InvalidInputError } from "@esxbackup/domain";
import { DEFAULT_COMPRESSION_LEVEL, MAX_COMPRESSION_LEVEL, MIN_COMPRESSION_LEVEL, UNRECORDED_COMPRESSION_LEVEL } from "./envelope.js";
import type { BlobStore } from "./blob-store.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { CONFIG_KEY } from "./repository-layout.js";
import { UnsupportedFormatError } from "./unsupported-format-error.js";

/**
 * Version 2 changed only the protocol between writers, prune and gc (docs/repository-format.md §9): a
 * version-1 gc would delete chunks that a version-2 writer takes over without touching them, so a version-1
 * program must refuse a version-2 repository. Version 3 authenticates what a writer could swap: config.json
 * (configMac), every metadata file bound to its name (envelope version 2), per-session subkeys, and the
 * points log. Older repositories keep their rules.
 */
export const REPOSITORY_FORMAT_VERSION = 3;
/** The default chunk size; one constant, set from the benchmark of 64 KiB – 1 MiB. */
export const DEFAULT_CHUNK_SIZE_BYTES = 256 * 1024;
export const MIN_CHUNK_SIZE_BYTES = 4 * 1024;
export const MAX_CHUNK_SIZE_BYTES = 16 * 1024 * 1024;

export interface RepositoryConfig {
  format: "esxbackup-repository";
  formatVersion: number;
  repositoryId: string;
  createdAt: string;
  chunkSizeBytes: number;
  chunkDigest: "sha256" | "hmac-sha256";
  compression: "zstd";
  /**
   * The zstd level writers compress chunks with; readers do not need it. Absent in repositories created
   * before it was recorded, whose writers used `UNRECORDED_COMPRESSION_LEVEL`: they keep it.
   */
  compressionLevel?: number;
  encryption: "none" | "aes-256-gcm";
  /** Version 3, encrypted: HMAC of every other field under the config key (repository-keys.ts). */
  configMac?: string;
}

/** The envelope version files of a repository of `formatVersion` use (docs/repository-format.md §5). */
export function envelopeVersionOf(config: RepositoryConfig): 1 | 2 {
  return config.formatVersion >= 3 ? 2 : 1;
}

/** `given` is how the caller received the value (e.g. the command-line text), for the error message. */
export function checkCompressionLevel(level: number, field = "compression level", given: string = String(level)): number {
  if (!Number.isInteger(level) || level < MIN_COMPRESSION_LEVEL || level > MAX_COMPRESSION_LEVEL) {
    throw new InvalidInputError(field, `must be a whole number from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (got ${given})`);
  }
  return level;
}

/** The level a writer uses for this repository. */
export function compressionLevelOf(config: RepositoryConfig): number {
  return config.compressionLevel ?? UNRECORDED_COMPRESSION_LEVEL;
}

export function checkChunkSize(chunkSizeBytes: number): number {
  const powerOfTwo = Number.isSafeInteger(chunkSizeBytes) && chunkSizeBytes > 0 && (chunkSizeBytes & (chunkSizeBytes - 1)) === 0;
  if (!powerOfTwo || chunkSizeBytes < MIN_CHUNK_SIZE_BYTES || chunkSizeBytes > MAX_CHUNK_SIZE_BYTES) {
    throw new InvalidInputError("chunk size", `must be a power of two from 4 KiB to 16 MiB (got ${chunkSizeBytes} bytes)`);
  }
  return chunkSizeBytes;
}

export function newRepositoryConfig(options: {
  chunkSizeBytes: number;
  encrypted: boolean;
  createdAt: Date;
  formatVersion?: number;
  compressionLevel?: number;
}): RepositoryConfig {
  const formatVersion = options.formatVersion ?? REPOSITORY_FORMAT_VERSION;
  if (!Number.isInteger(formatVersion) || formatVersion < 1 || formatVersion > REPOSITORY_FORMAT_VERSION) {
    throw new InvalidInputError("format version", `must be 1 to ${REPOSITORY_FORMAT_VERSION} (got ${formatVersion})`);
  }
  return {
    format: "esxbackup-repository",
    formatVersion,
    repositoryId: randomBytes(16).toString("hex"),
    createdAt: options.createdAt.toISOString(),
    chunkSizeBytes: checkChunkSize(options.chunkSizeBytes),
    chunkDigest: options.encrypted ? "hmac-sha256" : "sha256",
    compression: "zstd",
    compressionLevel: checkCompressionLevel(options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL),
    encryption: options.encrypted ? "aes-256-gcm" : "none",
  };
}

/** Parses and checks `config.json`; `path` names it in errors. */
export function parseRepositoryConfig(text: string, path: string): RepositoryConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UnsupportedFormatError(path, "is not valid JSON: not an esxbackup repository, or damaged");
  }
  const config = value as Partial<RepositoryConfig> | null;
  if (config === null || typeof config !== "object" || config.format !== "esxbackup-repository") {
    throw new UnsupportedFormatError(path, "is not an esxbackup repository configuration");
  }
  if (typeof config.formatVersion !== "number" || !Number.isInteger(config.formatVersion) || config.formatVersion < 1) {
    throw new UnsupportedFormatError(path, `has no valid formatVersion (got ${JSON.stringify(config.formatVersion)})`);
  }
  if (config.formatVersion > REPOSITORY_FORMAT_VERSION) {
    throw new UnsupportedFormatError(
      path,
      `repository format version ${config.formatVersion} is newer than this esxbackup supports (${REPOSITORY_FORMAT_VERSION}); upgrade esxbackup to use it`,
    );
  }
  const valid =
    typeof config.repositoryId === "string" &&
    typeof config.createdAt === "string" &&
    typeof config.chunkSizeBytes === "number" &&
    (config.chunkDigest === "sha256" || config.chunkDigest === "hmac-sha256") &&
    config.compression === "zstd" &&
    (config.encryption === "none" || config.encryption === "aes-256-gcm") &&
    (config.encryption === "none") === (config.chunkDigest === "sha256");
  if (!valid) throw new UnsupportedFormatError(path, "has missing or inconsistent fields (damaged?)");
  checkChunkSize(config.chunkSizeBytes as number);
  if (config.configMac !== undefined && (typeof config.configMac !== "string" || !/^[0-9a-f]{64}$/.test(config.configMac))) {
    throw new UnsupportedFormatError(path, "has a configMac that is not 64 lowercase hex digits (damaged?)");
  }
  if (config.compressionLevel !== undefined) {
    const level = config.compressionLevel;
    if (typeof level !== "number" || !Number.isInteger(level) || level < MIN_COMPRESSION_LEVEL || level > MAX_COMPRESSION_LEVEL) {
      throw new UnsupportedFormatError(path, `has compressionLevel ${JSON.stringify(level)}, not a whole number from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL}`);
    }
  }
  return config as RepositoryConfig;
}

/** Reads and checks a store's `config.json`; a store without one is not a repository (bad input). */
export async function readRepositoryConfig(store: BlobStore): Promise<RepositoryConfig> {
  let text: string;
  try {
    text = (await store.read(CONFIG_KEY)).toString("utf8");
  } catch (error) {
    if (error instanceof RepositoryFileError && error.problem === "missing") {
      throw new InvalidInputError("repository", `${store.locate(CONFIG_KEY)} does not exist: not an esxbackup repository (run 'repo init' first)`);
    }
    throw error;
  }
  return parseRepositoryConfig(text, store.locate(CONFIG_KEY));
}
