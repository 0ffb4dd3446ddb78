/**
 * The manifest of a recovery point (docs/repository-format.md §7) ⇄ the domain's `RecoveryPoint`. Decoding
 * checks every field: a manifest is input from disk like any other. Configuration file names are checked
 * when encoding (a writer never records a path) but not when decoding: a point with a bad name must still
 * restore its disks, so whoever writes those files out checks the names again.
 */
import { InvalidInputError, configFileNameProblem, parsePointId } from "@esxbackup/domain";
import type { ChangeFingerprints, RecoveryPoint, RecoveryPointDisk } from "@esxbackup/domain";
import { fingerprintsKey, indexKey } from "./repository-layout.js";

interface ManifestJson {
  formatVersion: number;
  pointId: string;
  createdAt: string;
  vm: { name: string; id: string; uuid?: string };
  host: string;
  previousPointId?: string;
  chunkSizeBytes: number;
  tags: string[];
  configFiles: { name: string; contentBase64: string }[];
  disks: (Omit<RecoveryPointDisk, "fingerprints"> & { indexFile: string; fingerprints?: ChangeFingerprints & { file: string } })[];
}

export const MANIFEST_FORMAT_VERSION = 1;

/** Throws an InvalidInputError when a configuration file name breaks the rule or appears twice. */
export function encodeManifest(point: RecoveryPoint): Buffer {
  const names = new Set<string>();
  for (const file of point.configFiles) {
    const problem = configFileNameProblem(file.name);
    if (problem !== undefined) throw new InvalidInputError("configuration file name", problem);
    if (names.has(file.name)) throw new InvalidInputError("configuration file name", `${JSON.stringify(file.name)} appears twice`);
    names.add(file.name);
  }
  const json: ManifestJson = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    pointId: point.pointId,
    createdAt: point.createdAt.toISOString(),
    vm: { ...point.vm },
    host: point.host,
    ...(point.previousPointId === undefined ? {} : { previousPointId: point.previousPointId }),
    chunkSizeBytes: point.chunkSizeBytes,
    tags: [...point.tags],
    configFiles: point.configFiles.map((file) => ({ name: file.name, contentBase64: Buffer.from(file.content).toString("base64") })),
    disks: point.disks.map((disk) => {
      const { fingerprints, ...rest } = disk;
      return {
        ...rest,
        indexFile: indexKey(point.pointId, disk.index),
        ...(fingerprints === undefined ? {} : { fingerprints: { ...fingerprints, file: fingerprintsKey(point.pointId, disk.index) } }),
      };
    }),
  };
  return Buffer.from(JSON.stringify(json), "utf8");
}

/** Throws an Error saying which field is wrong; the caller names the file. */
export function decodeManifest(plain: Buffer): RecoveryPoint {
  let json: ManifestJson;
  try {
    json = JSON.parse(plain.toString("utf8")) as ManifestJson;
  } catch {
    throw new Error("manifest is not valid JSON");
  }
  const fail = (field: string): never => {
    throw new Error(`manifest field ${field} is missing or invalid`);
  };
  if (json === null || typeof json !== "object") fail("(root)");
  if (typeof json.formatVersion !== "number") fail("formatVersion");
  if (json.formatVersion > MANIFEST_FORMAT_VERSION) throw new Error(`manifest version ${json.formatVersion} is newer than supported (${MANIFEST_FORMAT_VERSION})`);
  const pointId = parsePointId(typeof json.pointId === "string" ? json.pointId : "");
  const createdAt = new Date(json.createdAt);
  if (Number.isNaN(createdAt.getTime())) fail("createdAt");
  if (typeof json.vm?.name !== "string" || typeof json.vm.id !== "string") fail("vm");
  if (typeof json.host !== "string") fail("host");
  if (!isCount(json.chunkSizeBytes) || json.chunkSizeBytes === 0) fail("chunkSizeBytes");
  if (!Array.isArray(json.tags) || !json.tags.every((tag) => typeof tag === "string")) fail("tags");
  if (!Array.isArray(json.configFiles)) fail("configFiles");
  if (!Array.isArray(json.disks)) fail("disks");
  const disks = json.disks.map((disk, position): RecoveryPointDisk => {
    const at = `disks[${position}]`;
    if (disk?.index !== position) fail(`${at}.index`);
    if (typeof disk.key !== "string" || typeof disk.name !== "string") fail(`${at}.key/name`);
    if (!isCount(disk.sizeBytes)) fail(`${at}.sizeBytes`);
    if (disk.chunkCount !== Math.ceil(disk.sizeBytes / json.chunkSizeBytes)) fail(`${at}.chunkCount`);
    if (!isCount(disk.zeroChunkCount)) fail(`${at}.zeroChunkCount`);
    if (disk.indexFile !== indexKey(pointId, position)) fail(`${at}.indexFile`);
    const result: RecoveryPointDisk = {
      index: position,
      key: disk.key,
      name: disk.name,
      sizeBytes: disk.sizeBytes,
      chunkCount: disk.chunkCount,
      zeroChunkCount: disk.zeroChunkCount,
    };
    if (disk.geometry !== undefined) {
      const { cylinders, heads, sectors } = disk.geometry;
      if (![cylinders, heads, sectors].every(isCount)) fail(`${at}.geometry`);
      result.geometry = { cylinders, heads, sectors };
    }
    if (disk.adapterType !== undefined) result.adapterType = String(disk.adapterType);
    if (disk.fingerprints !== undefined) {
      const { algorithm, blockSizeBytes, digestLengthBytes, file } = disk.fingerprints;
      if (typeof algorithm !== "string" || !isCount(blockSizeBytes) || !isCount(digestLengthBytes) || file !== fingerprintsKey(pointId, position)) {
        fail(`${at}.fingerprints`);
      }
      result.fingerprints = { algorithm, blockSizeBytes, digestLengthBytes };
    }
    return result;
  });
  const point: RecoveryPoint = {
    pointId,
    createdAt,
    vm: { name: json.vm.name, id: json.vm.id, ...(typeof json.vm.uuid === "string" ? { uuid: json.vm.uuid } : {}) },
    host: json.host,
    chunkSizeBytes: json.chunkSizeBytes,
    tags: [...json.tags],
    configFiles: json.configFiles.map((file, position) => {
      if (typeof file?.name !== "string" || typeof file.contentBase64 !== "string") fail(`configFiles[${position}]`);
      return { name: file.name, content: Buffer.from(file.contentBase64, "base64") };
    }),
    disks,
  };
  if (json.previousPointId !== undefined) point.previousPointId = parsePointId(json.previousPointId);
  return point;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
