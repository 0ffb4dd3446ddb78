/**
 * `esxbackup repo backup-image --repo DIR --name NAME FILE [--previous POINT] [--changed-list F]` — backs up
 * a local raw disk image through the same writer the transporter uses. With --previous and --changed-list
 * only chunks overlapping the listed ranges are read; with --previous alone everything is read but only new
 * chunks are stored.
 */
import { open, readFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename } from "node:path";
import type { Command } from "commander";
import { InvalidInputError, parseChangedRanges, parsePointId } from "@esxbackup/domain";
import type { ByteRange } from "@esxbackup/domain";
import { PointWriter } from "@esxbackup/repository";
import type { CommandContext } from "../../command-context.js";
import { formatBytes, parseByteSize, startProgress, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";

/** Reads in flight; each is one pread of up to RUN_BYTES of consecutive chunks, encoded by one worker. */
const READERS = 4;
const RUN_BYTES = 4 * 1024 * 1024;

interface BackupOptions extends RepoOptions {
  name: string;
  previous?: string;
  changedList?: string;
  tag?: string[];
  flushEvery?: string;
  json?: boolean;
}

export function registerRepoBackupImage(repo: Command, context: CommandContext): void {
  withRepoOptions(repo.command("backup-image"))
    .description("back up a local raw disk image as a new recovery point; prints the point id")
    .argument("<file>", "the raw image")
    .requiredOption("--name <name>", "the VM name recorded in the point")
    .option("--previous <point>", "take unchanged chunks from this point")
    .option("--changed-list <file>", "with --previous: read only these byte ranges ('<offset> <length>' per line)")
    .option("--tag <tag...>", "tags recorded in the point")
    .option("--flush-every <size>", "make new chunks durable every SIZE stored (default 256M); smaller = less to redo after a crash")
    .option("--json", "print the result as JSON")
    .action(async (file: string, options: BackupOptions) => {
      if (options.changedList !== undefined && options.previous === undefined) {
        throw new InvalidInputError("--changed-list", "needs --previous (the point the unlisted chunks are taken from)");
      }
      const flushEveryBytes = options.flushEvery === undefined ? undefined : parseByteSize(options.flushEvery, "--flush-every");
      const previousPointId = options.previous === undefined ? undefined : parsePointId(options.previous);
      let changed: ByteRange[] | undefined;
      if (options.changedList !== undefined) {
        let text: string;
        try {
          text = await readFile(options.changedList, "utf8");
        } catch (error) {
          throw new InvalidInputError("--changed-list", `cannot read ${options.changedList} (${(error as { code?: string }).code ?? String(error)})`);
        }
        changed = parseChangedRanges(text, options.changedList);
      }
      let image: FileHandle;
      try {
        image = await open(file, "r");
      } catch (error) {
        throw new InvalidInputError("image", `cannot open ${file} (${(error as { code?: string }).code ?? String(error)})`);
      }
      try {
        const sizeBytes = (await image.stat()).size;
        const started = Date.now();
        const result = await usingRepository(options, context, async (repository) => {
          const writer = await PointWriter.begin(repository, {
            vm: { name: options.name, id: options.name },
            host: hostname(),
            tags: options.tag ?? [],
            ...(flushEveryBytes === undefined ? {} : { flushEveryBytes }),
            ...(previousPointId === undefined ? {} : { previousPointId }),
          });
          const onAbort = (): void => void writer.abort();
          context.signal.addEventListener("abort", onAbort, { once: true });
          try {
            const previousKey = writer.previous?.disks[0]?.key ?? null;
            const disk = await writer.openDisk({ key: "disk0", name: basename(file), sizeBytes, previousDiskKey: previousKey });
            const chunks = disk.chunksToRead(changed);
            const runs = consecutiveRuns(chunks, Math.max(1, Math.floor(RUN_BYTES / disk.chunkSizeBytes)));
            const progress = startProgress(context, "backup", chunks.length);
            let next = 0;
            let done = 0;
            const lane = async (): Promise<void> => {
              while (next < runs.length) {
                context.signal.throwIfAborted();
                const run = runs[next++] as { first: number; count: number };
                const last = run.first + run.count - 1;
                const length = (run.count - 1) * disk.chunkSizeBytes + disk.chunkLength(last);
                // A fresh buffer per read: writeChunks hands it to a worker thread without copying.
                const buffer = Buffer.allocUnsafeSlow(length);
                const { bytesRead } = await image.read(buffer, 0, length, run.first * disk.chunkSizeBytes);
                if (bytesRead !== length) throw new InvalidInputError("image", `${file} changed size while being read (short read at chunk ${run.first})`);
                await disk.writeChunks(run.first, buffer);
                done += run.count;
                progress.update(done);
              }
            };
            try {
              await Promise.all(Array.from({ length: READERS }, lane));
            } finally {
              progress.stop();
            }
            const point = await writer.commit();
            return { point: point.pointId, chunksRead: chunks.length, stats: writer.stats };
          } catch (error) {
            await writer.abort();
            throw error;
          } finally {
            context.signal.removeEventListener("abort", onAbort);
          }
        });
        const seconds = (Date.now() - started) / 1000;
        if (options.json === true) {
          writeJson(context, { ...result, sizeBytes, seconds });
        } else {
          context.stdout.write(`${result.point}\n`);
          context.stderr.write(
            `read ${result.chunksRead} chunk(s); stored ${formatBytes(result.stats.bytesStored)} new, ${formatBytes(result.stats.bytesDeduplicated)} deduplicated, ` +
              `${formatBytes(result.stats.bytesSkippedZero)} zero, ${formatBytes(result.stats.bytesTakenOver)} taken over in ${seconds.toFixed(2)} s\n`,
          );
        }
      } finally {
        await image.close();
      }
    });
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
