/**
 * What the repository holds: logical bytes (sum of disk sizes over all points) against stored bytes, and
 * the deduplication and compression ratios that explain the difference. Reads every index and stats every
 * chunk file; changes nothing.
 */
import type { ChunkDigest } from "@esxbackup/domain";
import type { Repository } from "./repository.js";
import { CHUNK_SUBFOLDERS, CHUNKS_FOLDER, chunkKey } from "./repository-layout.js";

export interface RepositoryStats {
  points: number;
  disks: number;
  chunkSizeBytes: number;
  encrypted: boolean;
  /** Sum of the sizes of every disk of every point. */
  logicalBytes: number;
  /** Of those, bytes in all-zero chunks (not stored). */
  zeroBytes: number;
  /** Distinct chunks referenced by the points, and their plaintext size. */
  referencedChunks: number;
  referencedBytes: number;
  /** Chunk files present (referenced or not) and their size on disk. */
  storedChunks: number;
  storedBytes: number;
  /** Chunk files no point references (gc reclaims them after the grace period). */
  unreferencedChunks: number;
  /** (logical − zero) / referenced plaintext: how much deduplication saved. */
  dedupRatio: number;
  /** Referenced plaintext / stored bytes of referenced chunks. */
  compressionRatio: number;
}

export async function repositoryStats(repository: Repository): Promise<RepositoryStats> {
  const referenced = new Map<ChunkDigest, number>();
  let logicalBytes = 0;
  let zeroBytes = 0;
  let disks = 0;
  const pointIds = await repository.listPointIds();
  for (const pointId of pointIds) {
    const point = await repository.readPoint(pointId);
    for (const disk of point.disks) {
      disks += 1;
      logicalBytes += disk.sizeBytes;
      const index = await repository.readIndex(pointId, disk.index, disk.sizeBytes);
      for (let chunk = 0; chunk < index.chunkCount; chunk += 1) {
        if (index.isZero(chunk)) zeroBytes += index.chunkLength(chunk);
        else referenced.set(index.get(chunk), index.chunkLength(chunk));
      }
    }
  }
  let storedChunks = 0;
  let storedBytes = 0;
  let referencedStoredBytes = 0;
  let unreferencedChunks = 0;
  for (const sub of CHUNK_SUBFOLDERS) {
    for (const name of await repository.store.list(`${CHUNKS_FOLDER}/${sub}`)) {
      if (name.startsWith(".")) continue;
      const info = await repository.store.stat(chunkKey(name as ChunkDigest));
      if (info === undefined) continue;
      storedChunks += 1;
      storedBytes += info.sizeBytes;
      if (referenced.has(name as ChunkDigest)) referencedStoredBytes += info.sizeBytes;
      else unreferencedChunks += 1;
    }
  }
  const referencedBytes = [...referenced.values()].reduce((sum, bytes) => sum + bytes, 0);
  return {
    points: pointIds.length,
    disks,
    chunkSizeBytes: repository.chunkSizeBytes,
    encrypted: repository.encrypted,
    logicalBytes,
    zeroBytes,
    referencedChunks: referenced.size,
    referencedBytes,
    storedChunks,
    storedBytes,
    unreferencedChunks,
    dedupRatio: referencedBytes === 0 ? 1 : (logicalBytes - zeroBytes) / referencedBytes,
    compressionRatio: referencedStoredBytes === 0 ? 1 : referencedBytes / referencedStoredBytes,
  };
}
