/**
 * Where each file lives in the store (docs/repository-format.md §2). Every key the repository uses is
 * built here, so the layout is written down once.
 */
import type { ChunkDigest, PointId } from "@esxbackup/domain";

export const CONFIG_KEY = "config.json";
export const KEYS_FOLDER = "keys";
export const CHUNKS_FOLDER = "chunks";
export const POINTS_FOLDER = "points";
export const INDEXES_FOLDER = "indexes";
export const LOCKS_FOLDER = "locks";
export const TMP_FOLDER = "tmp";
export const POINTS_LOG_FOLDER = "log";
export const MANIFEST_SUFFIX = ".manifest";
/** Space set aside so that prune and gc can run on a full disk (space-reserve.ts). */
export const SPACE_RESERVE_KEY = "locks/space-reserve";

export const chunkKey = (digest: ChunkDigest): string => `${CHUNKS_FOLDER}/${digest.slice(0, 2)}/${digest}`;
export const manifestKey = (pointId: PointId): string => `${POINTS_FOLDER}/${pointId}${MANIFEST_SUFFIX}`;
export const pointIndexesFolder = (pointId: PointId): string => `${INDEXES_FOLDER}/${pointId}`;
export const indexKey = (pointId: PointId, diskIndex: number): string => `${pointIndexesFolder(pointId)}/disk-${diskIndex}.fidx`;
export const fingerprintsKey = (pointId: PointId, diskIndex: number): string => `${pointIndexesFolder(pointId)}/disk-${diskIndex}.fpr`;
export const keyFileKey = (keyId: string): string => `${KEYS_FOLDER}/${keyId}.json`;
/** Record `sequence` (from 1) of the points log, 16 digits so that names sort in sequence order. */
export const pointsLogKey = (sequence: number): string => `${POINTS_LOG_FOLDER}/${String(sequence).padStart(16, "0")}.rec`;
export const POINTS_LOG_RECORD_NAME = /^(\d{16})\.rec$/;

/** The 256 chunk sub-folders, "00" to "ff", created at init so writers never race to create them. */
export const CHUNK_SUBFOLDERS: readonly string[] = Array.from({ length: 256 }, (_, index) => index.toString(16).padStart(2, "0"));
