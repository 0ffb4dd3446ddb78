/**
 * `esxbackup repo backup-image --repo DIR --name NAME FILE [--previous POINT] [--changed-list F]
 * [--detect-changes fingerprints] [--fingerprints ALG[:BLOCK]] [--config-file F]... [--tag T]... …` — backs up a local raw
 * disk image through the same writer the transporter uses, with what the manifest says about the VM (id,
 * uuid, host, configuration files, disk geometry and adapter). With --previous and --changed-list only
 * chunks overlapping the listed ranges are read; with --previous and --detect-changes fingerprints the
 * image is hashed block by block (as a host would with md5sum) and only chunks of blocks whose fingerprint
 * differs from the previous point's are read; with --previous alone everything is read but only new chunks
 * are stored. --fingerprints records one digest per block in the new point for the next backup to compare.
 *
 * Every option, file and the previous point's fingerprints are checked before the writer starts, so a
 * refusal leaves the repository as it was. The image must not change during the backup (a snapshot's
 * base disk, a copy): the fingerprints recorded are those of the bytes read.
 */
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename } from "node:path";
import type { Command } from "commander";
import {
  InvalidInputError,
  changedRangesFromFingerprints,
  checkFingerprintBlockSize,
  isFingerprintAlgorithm,
  parseChangedRanges,
  parsePointId,
  sameFingerprintKind,
  systemClock,
} from "@esxbackup/domain";
import type { ByteRange, ChangeFingerprints, DiskFingerprints, PointId } from "@esxbackup/domain";
import { FingerprintHasher, NoSuchPointError, PointWriter, readPointDiskFingerprints } from "@esxbackup/repository";
import type { Repository } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { ADAPTER_TYPES, readBackupMetadata } from "./backup-image-metadata.js";
import { ImageReader } from "./image-reader.js";
import { openImageSource } from "./image-source.js";
import type { MetadataOptions } from "./backup-image-metadata.js";
import {
  ImageFingerprints,
  blockAlignedRunChunks,
  fingerprintInfo,
  formatFingerprintKind,
  hashWholeImage,
  parseFingerprintsOption,
  wholeBlockChunks,
} from "./image-fingerprints.js";
import type { FingerprintKind } from "./image-fingerprints.js";
import { backupCounters, formatBackupSummary } from "./backup-counters.js";
import { formatBytes, parseByteSize, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";
import { startTransfer } from "./transfer-meter.js";

/** Reads in flight; each is one pread of up to RUN_BYTES of consecutive chunks, encoded by one worker. */
const READERS = 4;
const RUN_BYTES = 4 * 1024 * 1024;
/**
 * Scattered changes make runs of one chunk, each a chain of short waits (read, encode, existence check,
 * write): more of them in flight keep the disk and the workers busy. Bounded so that about
 * READERS × RUN_BYTES stay in memory whatever the run length.
 */
const MAX_READERS = 16;

function readersFor(runs: readonly { count: number }[], chunkBytes: number): number {
  if (runs.length === 0) return 1;
  const averageRunBytes = (runs.reduce((sum, run) => sum + run.count, 0) * chunkBytes) / runs.length;
  return Math.max(READERS, Math.min(MAX_READERS, Math.floor((READERS * RUN_BYTES) / averageRunBytes)));
}

interface BackupOptions extends RepoOptions, MetadataOptions {
  previous?: string;
  changedList?: string;
  detectChanges?: string;
  fingerprints?: string;
  tag?: string[];
  flushEvery?: string;
  json?: boolean;
}

const DETECT_METHODS = ["fingerprints"] as const;

export function registerRepoBackupImage(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("backup-image"))
    .description("back up a local raw disk image as a new recovery point; prints the point id")
    .argument("<file>", "the raw image")
    .requiredOption("--name <name>", "the VM name recorded in the point")
    .option("--vm-id <id>", "the host's identifier of the VM (default: the name)")
    .option("--vm-uuid <uuid>", "the VM's BIOS uuid")
    .option("--host <host>", "the host the VM runs on (default: this machine's name)")
    // Repeated, not variadic: a variadic option before the image path would swallow it.
    .option("--config-file <file>", "a VM configuration file (.vmx, .vmxf, .vmsd, .nvram) kept in the point under its base name, at most 16 MiB; repeat for each", collect, [])
    .option("--adapter-type <type>", `the disk's adapter type, one of: ${ADAPTER_TYPES.join(", ")}`)
    .option("--geometry <c/h/s>", "the disk's geometry as CYLINDERS/HEADS/SECTORS, e.g. 16383/16/63")
    .option("--previous <point>", "take unchanged chunks from this point")
    .option("--changed-list <file>", "with --previous: read only these byte ranges ('<offset> <length>' per line)")
    .option("--detect-changes <method>", "with --previous: find the changed ranges by comparing block fingerprints with the previous point's ('fingerprints')")
    .option("--fingerprints <alg[:block]>", "record a digest per block (md5, sha1 or sha256; block a power of two from 4K to 16M, default 64K)")
    .option("--tag <tag>", "a tag recorded in the point; repeat for each", collect, [])
    .option("--flush-every <size>", "make new chunks durable every SIZE stored (default 256M); smaller = less to redo after a crash")
    .option("--json", "print the result as JSON")
    .action(async (file: string, options: BackupOptions) => {
      if (options.changedList !== undefined && options.previous === undefined) {
        throw new InvalidInputError("--changed-list", "needs --previous (the point the unlisted chunks are taken from)");
      }
      const detect = options.detectChanges !== undefined;
      if (detect) {
        if (!(DETECT_METHODS as readonly string[]).includes(options.detectChanges ?? "")) {
          throw new InvalidInputError("--detect-changes", `must be one of ${DETECT_METHODS.join(", ")} (got ${JSON.stringify(options.detectChanges)})`);
        }
        if (options.previous === undefined) throw new InvalidInputError("--detect-changes", "needs --previous (the point whose fingerprints the image is compared with)");
        if (options.changedList !== undefined) throw new InvalidInputError("--detect-changes", "cannot be combined with --changed-list: changes come from one or the other");
      }
      const requestedKind = options.fingerprints === undefined ? undefined : parseFingerprintsOption(options.fingerprints);
      const flushEveryBytes = options.flushEvery === undefined ? undefined : parseByteSize(options.flushEvery, "--flush-every");
      const previousPointId = options.previous === undefined ? undefined : parsePointId(options.previous);
      let changedText: string | undefined;
      if (options.changedList !== undefined) {
        try {
          changedText = await readFile(options.changedList, "utf8");
        } catch (error) {
          throw new InvalidInputError("--changed-list", `cannot read ${options.changedList} (${(error as { code?: string }).code ?? String(error)})`);
        }
      }
      const metadata = await readBackupMetadata(options, hostname());
      const { handle: image, sizeBytes } = await openImageSource(file);
      try {
        // A range past the end of the image means the list belongs to another disk: refused, not clipped.
        const changed: ByteRange[] | undefined =
          changedText === undefined ? undefined : parseChangedRanges(changedText, options.changedList as string, { diskSizeBytes: sizeBytes });
        const clock = context.clock ?? systemClock;
        const startedMs = clock.now().getTime();
        const result = await usingRepository(options, context, async (repository) => {
          const plan = await planFingerprints(repository, { previousPointId, requestedKind, detect, partial: changed !== undefined });
          const fingerprints = plan.kind === undefined ? undefined : new ImageFingerprints(plan.kind, sizeBytes);
          const writer = await PointWriter.begin(repository, {
            vm: metadata.vm,
            host: metadata.host,
            configFiles: metadata.configFiles,
            tags: options.tag ?? [],
            ...(flushEveryBytes === undefined ? {} : { flushEveryBytes }),
            ...(previousPointId === undefined ? {} : { previousPointId }),
          });
          const onAbort = (): void => void writer.abort();
          context.signal.addEventListener("abort", onAbort, { once: true });
          let hasher: FingerprintHasher | undefined;
          let reader: ImageReader | undefined;
          try {
            const previousKey = writer.previous?.disks[0]?.key ?? null;
            const disk = await writer.openDisk({
              key: "disk0",
              name: basename(file),
              sizeBytes,
              previousDiskKey: previousKey,
              ...(metadata.geometry === undefined ? {} : { geometry: metadata.geometry }),
              ...(metadata.adapterType === undefined ? {} : { adapterType: metadata.adapterType }),
            });
            if (fingerprints !== undefined) hasher = new FingerprintHasher(fingerprints.info.algorithm as FingerprintKind["algorithm"], fingerprints.info.blockSizeBytes);
            let toRead = changed;
            let detected: { ranges: number; bytes: number } | undefined;
            if (detect && fingerprints !== undefined && hasher !== undefined && plan.previous !== undefined) {
              const { progress } = startTransfer(context, "fingerprint", sizeBytes);
              try {
                await hashWholeImage(image, file, fingerprints, hasher, {
                  lanes: READERS,
                  runBytes: RUN_BYTES,
                  signal: context.signal,
                  onProgress: (bytesDone) => progress.update(bytesDone),
                });
              } finally {
                progress.stop();
              }
              toRead = changedRangesFromFingerprints(plan.previous, fingerprints.toDiskFingerprints());
              detected = { ranges: toRead.length, bytes: toRead.reduce((sum, range) => sum + range.lengthBytes, 0) };
            }
            // Without a detection pass the fingerprints are computed from what is read, so every block a
            // read touches must be read whole.
            const hashWhileReading = fingerprints !== undefined && !detect ? fingerprints : undefined;
            let chunks = disk.chunksToRead(toRead);
            if (hashWhileReading !== undefined) chunks = wholeBlockChunks(chunks, disk.chunkSizeBytes, hashWhileReading.info.blockSizeBytes, disk.chunkCount);
            const runs = consecutiveRuns(chunks, blockAlignedRunChunks(RUN_BYTES, disk.chunkSizeBytes, hashWhileReading?.info.blockSizeBytes));
            const bytesToRead = chunks.reduce((sum, chunk) => sum + disk.chunkLength(chunk), 0);
            const { progress } = startTransfer(context, "backup", bytesToRead);
            let next = 0;
            let bytesDone = 0;
            const readers = readersFor(runs, disk.chunkSizeBytes);
            const maxRunBytes = runs.reduce((most, run) => Math.max(most, run.count * disk.chunkSizeBytes), 0);
            reader = await ImageReader.open(file, readers, maxRunBytes);
            const imageReader = reader;
            const lane = async (slot: number): Promise<void> => {
              // Each lane reads into its own slot; the workers read the slot in place (shared memory).
              while (next < runs.length) {
                context.signal.throwIfAborted();
                const run = runs[next++] as { first: number; count: number };
                const last = run.first + run.count - 1;
                const length = (run.count - 1) * disk.chunkSizeBytes + disk.chunkLength(last);
                const buffer = await imageReader.read(slot, run.first * disk.chunkSizeBytes, length);
                let data: Uint8Array = buffer;
                if (hashWhileReading !== undefined && hasher !== undefined) {
                  const hashed = await hasher.hash(buffer);
                  hashWhileReading.record(run.first * disk.chunkSizeBytes, hashed.digests);
                  data = hashed.data;
                }
                await disk.writeChunks(run.first, data);
                bytesDone += length;
                progress.update(bytesDone);
              }
            };
            try {
              await Promise.all(Array.from({ length: readers }, (_, slot) => lane(slot)));
            } finally {
              progress.stop();
            }
            if (fingerprints !== undefined) {
              // Blocks not read lie entirely in chunks taken over from the previous point: same bytes.
              if (hashWhileReading !== undefined && plan.previous !== undefined) hashWhileReading.fillFrom(plan.previous);
              disk.setFingerprints(fingerprints.info, fingerprints.toDiskFingerprints().digests);
            }
            const point = await writer.commit();
            const seconds = (clock.now().getTime() - startedMs) / 1000;
            return {
              point: point.pointId,
              seconds,
              counters: backupCounters({ stats: writer.stats, diskSizeBytes: sizeBytes, bytesRead: bytesToRead, chunksRead: chunks.length, seconds }),
              ...(fingerprints === undefined ? {} : { fingerprints: formatFingerprintKind(fingerprints.info) }),
              ...(detected === undefined ? {} : { changedRanges: detected.ranges, changedBytes: detected.bytes }),
            };
          } catch (error) {
            await writer.abort();
            throw error;
          } finally {
            await hasher?.close();
            await reader?.close();
            context.signal.removeEventListener("abort", onAbort);
          }
        });
        if (options.json === true) {
          writeJson(context, result);
        } else {
          context.stdout.write(`${result.point}\n`);
          if (result.changedBytes !== undefined) {
            context.stderr.write(`fingerprints: ${formatBytes(result.changedBytes)} changed in ${result.changedRanges} range(s)\n`);
          }
          context.stderr.write(
            `${formatBackupSummary(result.counters, result.seconds)}${result.fingerprints === undefined ? "" : `; fingerprints ${result.fingerprints} recorded`}\n`,
          );
        }
      } finally {
        await image.close();
      }
    });
}

/**
 * Which fingerprints the new point records and, when some come from the previous point, those. Checked
 * before the writer starts: detecting changes needs the previous point's fingerprints; recording them
 * while reading only a changed list needs the previous point's of the same kind for the blocks not read.
 */
async function planFingerprints(
  repository: Repository,
  input: { previousPointId: PointId | undefined; requestedKind: FingerprintKind | undefined; detect: boolean; partial: boolean },
): Promise<{ kind?: ChangeFingerprints; previous?: DiskFingerprints }> {
  const requested = input.requestedKind === undefined ? undefined : fingerprintInfo(input.requestedKind);
  const pointId = input.previousPointId;
  if (pointId === undefined || !(input.detect || (requested !== undefined && input.partial))) return requested === undefined ? {} : { kind: requested };
  if (!(await repository.hasPoint(pointId))) throw new NoSuchPointError("previous point", [pointId]);
  const point = await repository.readPoint(pointId);
  const disk = point.disks[0];
  const previous = disk === undefined ? undefined : await readPointDiskFingerprints(repository, point, disk);
  const has = previous === undefined ? "has none" : `has ${formatFingerprintKind(previous)}`;
  if (input.detect) {
    if (previous === undefined) {
      throw new InvalidInputError("--detect-changes", `the previous point ${pointId} has no fingerprints of its disk; back it up with --fingerprints first, or give --changed-list`);
    }
    if (requested !== undefined && !sameFingerprintKind(requested, previous)) {
      throw new InvalidInputError(
        "--fingerprints",
        `${formatFingerprintKind(requested)} cannot be compared with the previous point's ${formatFingerprintKind(previous)}; leave --fingerprints out to use the previous point's kind`,
      );
    }
    if (!isFingerprintAlgorithm(previous.algorithm)) {
      throw new InvalidInputError("--detect-changes", `the previous point ${pointId} has ${previous.algorithm} fingerprints, which this program cannot compute`);
    }
    checkFingerprintBlockSize(previous.blockSizeBytes, "--detect-changes");
    const { algorithm, blockSizeBytes, digestLengthBytes } = previous;
    return { kind: { algorithm, blockSizeBytes, digestLengthBytes }, previous };
  }
  if (requested === undefined) return {};
  if (previous === undefined || !sameFingerprintKind(requested, previous)) {
    throw new InvalidInputError(
      "--fingerprints",
      `with --changed-list only the listed ranges are read, so the other blocks' fingerprints are taken from the previous point ${pointId}, ` +
        `which ${has}; give the same kind, or back up without --changed-list to read and fingerprint everything`,
    );
  }
  return { kind: requested, previous };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Groups sorted chunk numbers into runs of consecutive chunks, at most `maxCount` long. */
function consecutiveRuns(chunks: readonly number[], maxCount: number): { first: number; count: number }[] {
  const runs: { first: number; count: number }[] = [];
  for (const chunk of chunks) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.first + last.count === chunk && last.count < maxCount) last.count += 1;
    else runs.push({ first: chunk, count: 1 });
  }
  return runs;
}
