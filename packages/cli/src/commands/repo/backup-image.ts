/**
 * `esxbackup repo backup-image --repo DIR --name NAME FILE [--previous POINT] [--changed-list F]
 * [--detect-changes fingerprints] [--fingerprints ALG[:BLOCK]] [--config-file F]... [--tag T]... …` — backs up a local raw
 * disk image through the same writer the transporter uses, with what the manifest says about the VM (id,
 * uuid, host, configuration files, disk geometry and adapter). With --previous and --changed-list only
 * chunks overlapping the listed ranges are read; with --previous and --detect-changes fingerprints the
 * image is hashed block by block (as a host would with md5sum) and only the blocks whose fingerprint
 * differs from the previous point's are read, laid over the previous point's chunks (a previous point
 * without fingerprints of that kind is hashed again from the repository first); with --previous alone
 * everything is read but only new chunks are stored. --fingerprints records one digest per block in the new point for the next backup to compare.
 *
 * A thin shell over the transporter's backup pipeline (`backUpDisk` reading a `LocalImageDiskSource`): it
 * parses and checks the options, words the planner's refusals in terms of them, and prints. Every option,
 * file and the previous point's fingerprints are checked before the writer starts, so a refusal leaves the
 * repository as it was. The image must not change during the backup (a snapshot's base disk, a copy).
 */
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import type { Command } from "commander";
import { InvalidInputError, parseChangedRanges, parsePointId, systemClock } from "@esxbackup/domain";
import type { BackupPlanRefusal, BackUpDiskResult, ChangeSource } from "@esxbackup/transporter/backup";
import type { CommandContext } from "../../command-context.js";
import { ADAPTER_TYPES, readBackupMetadata } from "./backup-image-metadata.js";
import type { MetadataOptions } from "./backup-image-metadata.js";
import { formatBackupSummary } from "./backup-summary.js";
import { formatFingerprintKind, parseFingerprintsOption } from "./fingerprint-option.js";
import { formatBytes, parseByteSize, usingRepository, withRepoOptions, writeJson } from "./open-repository.js";
import type { RepoOptions } from "./open-repository.js";
import { TerminalProgressReporter } from "./terminal-progress-reporter.js";
import { checkTags } from "../tag-option.js";

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
      const requested = options.fingerprints === undefined ? undefined : parseFingerprintsOption(options.fingerprints);
      const tags = checkTags(options.tag ?? []);
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
      // Loaded here, not at start-up: the transporter brings its SSH, gRPC and queue libraries along.
      const { BackupPlanRefusedError, LocalImageDiskSource, backUpDisk } = await import("@esxbackup/transporter/backup");
      const source = await LocalImageDiskSource.open(file);
      let result: BackUpDiskResult;
      try {
        // A range past the end of the image means the list belongs to another disk: refused, not clipped.
        const changes: ChangeSource =
          changedText === undefined
            ? { kind: detect ? "fingerprints" : "all" }
            : { kind: "listed", ranges: parseChangedRanges(changedText, options.changedList as string, { diskSizeBytes: source.sizeBytes }) };
        result = await usingRepository(options, context, (repository) =>
          backUpDisk({
            repository,
            source,
            point: {
              vm: metadata.vm,
              host: metadata.host,
              configFiles: metadata.configFiles,
              tags,
              ...(flushEveryBytes === undefined ? {} : { flushEveryBytes }),
              ...(previousPointId === undefined ? {} : { previousPointId }),
            },
            disk: {
              key: "disk0",
              ...(metadata.geometry === undefined ? {} : { geometry: metadata.geometry }),
              ...(metadata.adapterType === undefined ? {} : { adapterType: metadata.adapterType }),
            },
            changes,
            ...(requested === undefined ? {} : { fingerprints: requested }),
            signal: context.signal,
            clock: context.clock ?? systemClock,
            progress: new TerminalProgressReporter(context.stderr, context.clock ?? systemClock, { interactive: context.interactive }),
          }),
        ).catch((error: unknown) => {
          throw error instanceof BackupPlanRefusedError ? refusalAsInputError(error.refusal) : error;
        });
      } finally {
        await source.close();
      }
      const printed = {
        point: result.point,
        seconds: result.seconds,
        counters: result.counters,
        ...(result.fingerprints === undefined ? {} : { fingerprints: formatFingerprintKind(result.fingerprints) }),
        ...(result.changed === undefined ? {} : { changedRanges: result.changed.ranges, changedBytes: result.changed.bytes }),
      };
      if (options.json === true) {
        writeJson(context, printed);
      } else {
        context.stdout.write(`${printed.point}\n`);
        if (result.changed !== undefined) {
          context.stderr.write(`fingerprints: ${formatBytes(result.changed.bytes)} changed in ${result.changed.ranges} range(s)\n`);
        }
        context.stderr.write(`${formatBackupSummary(result.counters, result.seconds)}${printed.fingerprints === undefined ? "" : `; fingerprints ${printed.fingerprints} recorded`}\n`);
      }
    });
}

/** The planner's refusal in the words of this command's options. */
function refusalAsInputError(refusal: BackupPlanRefusal): InvalidInputError {
  switch (refusal.reason) {
    case "previous-has-no-fingerprints":
      return new InvalidInputError(
        "--fingerprints",
        `the previous point ${refusal.previousPointId} has no fingerprints of its disk; give --fingerprints to choose the kind its disk is hashed again at and compared with, or give --changed-list`,
      );
    case "previous-kind-not-computable":
      return new InvalidInputError(
        "--fingerprints",
        `the previous point ${refusal.previousPointId} has ${refusal.previous.algorithm} fingerprints of ${refusal.previous.blockSizeBytes}-byte blocks, which this program cannot compute; give --fingerprints to choose the kind its disk is hashed again at`,
      );
    case "fingerprints-too-large":
      return new InvalidInputError(
        "--fingerprints",
        `a ${refusal.sizeBytes}-byte image in ${refusal.kind.blockSizeBytes}-byte blocks needs ${refusal.fingerprintBytes} bytes of fingerprints, more than ${refusal.maxBytes} (512 MiB); choose a larger block`,
      );
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
