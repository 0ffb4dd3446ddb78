/**
 * `esxbackup restore --repo DIR --point ID` and one of:
 *   `--to-file OUT [--disk N] [--format raw|vmdk] [--overwrite]` — one disk into a local raw image or VMDK,
 *     with the safety of `repo restore-image` (the same code: restore-to-file.ts);
 *   `--to-host H[:PORT] --user U --password-file F [--known-hosts F] --name NEW [--datastore DS]
 *     [--power-on] [--channels N] [--limit-rate SIZE] [--discard-leftover] [--verify]` — the whole VM to an ESXi host as a new VM beside
 *     the original (docs/adr/0025): refused before anything is written when a VM of that name exists, the
 *     folder exists and is not a leftover of this same restore, the datastore lacks the space, or the
 *     host's ESXi release does not run the VM's virtual hardware version (docs/adr/0041); a
 *     dropped connection is survived (what the host had not acknowledged is sent again, each retry logged;
 *     docs/adr/0027); stopped before the host acknowledged any data, or by a point that cannot be read or a
 *     datastore that filled up, what it created is removed.
 *     A restore killed outright is carried on by running the same command again (docs/adr/0030);
 *     `--discard-leftover` removes such a leftover instead and starts over. `--over-original` is carried on
 *     the same way, from a record in the VM's folder; with another point, or a VM powered on since, its
 *     disks are rewritten whole, and it says why. `--verify` has the host fingerprint each disk once it is
 *     written and compares them with the point's before the VM is registered (docs/adr/0036): a disk that
 *     differs fails the restore (exit 1), and nothing of it is kept.
 * `--json` prints the result as one JSON object on stdout. `--password-file` is the host's password; an
 * encrypted repository's passphrase comes from `--repo-password-file` or ESXBACKUP_PASSWORD.
 *
 * A restore stopped part-way by Ctrl-C, or by an error a later run may get past (a connection the retries
 * could not bridge), once its record on the host shows acknowledged data, keeps what it wrote: no VM is
 * registered, the folder and its record stay, and it says `interrupted: N of M bytes written into FOLDER;
 * run the same command to resume, or add --discard-leftover to start over` (docs/adr/0030).
 *
 * Exit codes: 0 restored; 1 the restore failed once it had begun changing the host (what is left on the
 * host, if anything, is named), or the VM was restored but did not power on; 2 bad input or a refused
 * target (nothing changed); 3 the host could not be reached, or the login or host key was refused; 75 the
 * restore stopped part-way on an error and what it wrote is kept: run the same command to carry it on; 130
 * interrupted (what it wrote kept, as said, when the host had acknowledged data).
 */
import type { Command } from "commander";
import { InvalidInputError, parsePointId, systemClock, timerScheduler } from "@esxbackup/domain";
import { decodingThreads } from "@esxbackup/repository";
import type { ProgressReporter } from "@esxbackup/transporter/backup";
import type { CommandContext } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { hostBusyNote } from "./host-busy-note.js";
import { addHostLoginOptions, hostLogin, openHostSession, parseChannelsOption } from "./host-login.js";
import type { HostLoginOptions } from "./host-login.js";
import { MIN_LIMIT_RATE_BYTES_PER_SECOND, parseLimitRate } from "./limit-rate-option.js";
import { formatBytes, usingRepository, writeJson } from "./repo/open-repository.js";
import type { RepoOptions } from "./repo/open-repository.js";
import { formatRate, startTransfer } from "./repo/transfer-meter.js";
import { RESTORE_FILE_FORMATS, formatRestoreToFile, parseRestoreFileOptions, restoreToFile } from "./restore-to-file.js";

interface RestoreOptions extends Omit<HostLoginOptions, "host"> {
  repo: string;
  /** The repository's passphrase file (`--password-file` is the host's password here). */
  repoPasswordFile?: string;
  point: string;
  toFile?: string;
  toHost?: string;
  disk: string;
  format: string;
  overwrite?: boolean;
  name?: string;
  datastore?: string;
  powerOn?: boolean;
  overOriginal?: boolean;
  channels?: string;
  limitRate?: string;
  discardLeftover?: boolean;
  verify?: boolean;
  json?: boolean;
}

export function registerRestoreCommand(program: Command, context: CommandContext): void {
  const command = program
    .command("restore")
    .requiredOption("--repo <dir>", "the repository folder")
    .option("--repo-password-file <file>", "file holding the passphrase of an encrypted repository (or set ESXBACKUP_PASSWORD)")
    .description("restore a recovery point: one disk to a local file, or the VM to an ESXi host as a new VM")
    .requiredOption("--point <id>", "the point to restore")
    .option("--to-file <out>", "write one disk to this local file (for vmdk: the descriptor; data goes to <name>-flat.vmdk)")
    .option("--disk <n>", "with --to-file: which disk of the point (see 'repo show')", "0")
    .option("--format <format>", `with --to-file: one of ${RESTORE_FILE_FORMATS.join(", ")}`, "raw")
    .option("--overwrite", "with --to-file: replace output files that already exist (only regular files are ever replaced)");
  addHostLoginOptions(command, { flags: "--to-host <host[:port]>", required: false })
    .option("--name <name>", "with --to-host: the new VM's name (and folder)")
    .option("--datastore <name>", "with --to-host: the datastore to restore to (default: the host's only one)")
    .option("--power-on", "with --to-host: power the VM on once registered")
    .option("--over-original", "with --to-host: rewrite the disks of the VM the point was made from (or --name) in place; it must be powered off and have no snapshots")
    // No default here: whether it was given is what tells a --to-file command line that carries it.
    .option("--channels <n>", "with --to-host: SSH channels writing at once, 1 to 8 (default 4)")
    .option("--limit-rate <size>", `with --to-host: send at most SIZE per second to the host, all disks and channels together, e.g. 50M or 800K (K, M, G: KiB, MiB, GiB; "/s" may follow); at least ${MIN_LIMIT_RATE_BYTES_PER_SECOND / 1024}K. Zeros the host writes itself cost nothing`)
    .option("--discard-leftover", "with --to-host: remove what an interrupted restore to this --name left (only ever a folder marked as an esxbackup restore's) and start over, instead of carrying it on")
    .option("--verify", "with --to-host: once the disks are written, have the host fingerprint them and compare with the point before the VM is registered (reads each disk once more on the host)")
    .option("--json", "print the result as JSON")
    .action(async (options: RestoreOptions) => {
      const pointId = parsePointId(options.point);
      const repoOptions: RepoOptions = {
        repo: options.repo,
        passwordFileOption: "--repo-password-file",
        ...(options.repoPasswordFile === undefined ? {} : { passwordFile: options.repoPasswordFile }),
      };
      if ((options.toFile === undefined) === (options.toHost === undefined)) throw new InvalidInputError("--to-file", "give exactly one of --to-file and --to-host");
      if (options.toFile !== undefined) {
        // Host options are refused rather than ignored: given with --to-file, they show the command is not the one meant.
        const hostOnly = [
          [options.name, "--name"], [options.datastore, "--datastore"], [options.powerOn, "--power-on"], [options.overOriginal, "--over-original"], [options.discardLeftover, "--discard-leftover"],
          [options.limitRate, "--limit-rate"], [options.verify, "--verify"], [options.channels, "--channels"], [options.passwordFile, "--password-file"], [options.identityFile, "--identity-file"], [options.knownHosts, "--known-hosts"],
        ] as const;
        for (const [given, flag] of hostOnly) {
          if (given !== undefined) throw new InvalidInputError(flag, "goes with --to-host, not --to-file");
        }
        const out = options.toFile;
        const { diskIndex, format } = parseRestoreFileOptions(options);
        await usingRepository(repoOptions, context, async (repository) => {
          const result = await restoreToFile(repository, context, { pointId, diskIndex, out, format, overwrite: options.overwrite === true, toDevice: false, outputOption: "--to-file" });
          if (options.json === true) writeJson(context, { point: pointId, file: out, data: result.target, format, sizeBytes: result.sizeBytes, bytesWritten: result.bytesWritten, seconds: result.seconds });
          else context.stderr.write(formatRestoreToFile(result, { toDevice: false }));
        });
        return;
      }
      const channels = parseChannelsOption(options.channels ?? "4");
      const limitBytesPerSecond = options.limitRate === undefined ? undefined : parseLimitRate(options.limitRate);
      const overOriginal = options.overOriginal === true;
      if (overOriginal && options.discardLeftover === true) throw new InvalidInputError("--discard-leftover", "goes with a restore as a new VM (--name), not --over-original");
      if (overOriginal && (options.datastore !== undefined || options.powerOn === true)) throw new InvalidInputError("--over-original", "keeps the VM where it is and as it is: --datastore and --power-on do not apply");
      if (!overOriginal && options.name === undefined) throw new InvalidInputError("--name", "a restore to a host needs the new VM's name (or --over-original)");
      const name = options.name;
      if (name !== undefined && !overOriginal) {
        const { vmNameProblem } = await import("@esxbackup/transporter");
        const problem = vmNameProblem(name);
        if (problem !== undefined) throw new InvalidInputError("--name", `the VM name ${JSON.stringify(name)} ${problem}`);
      }
      const login = await hostLogin({ ...options, host: options.toHost as string }, context.env);
      // Decoding chunks is most of a restore's work here: no worker on a single core (decodingThreads).
      await usingRepository({ ...repoOptions, threads: decodingThreads() }, context, async (repository) => {
        if (!(await repository.hasPoint(pointId))) throw new InvalidInputError("--point", `no such recovery point: ${pointId}`);
        // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
        const { HostRestoreFailedError, PowerOnFailedError, RestoreLeftResumableError, TransferRateLimiter, restoreOverOriginal, restoreToHost, resumeAdvice } = await import("@esxbackup/transporter");
        const session = await openHostSession(login, context);
        try {
          const progress: ProgressReporter = { start: ({ phase, disk, bytesTotal }) => startTransfer(context, disk === undefined ? phase : `${phase} ${disk}`, bytesTotal ?? 0).progress };
          const clock = context.clock ?? systemClock;
          const rateLimiter = limitBytesPerSecond === undefined ? undefined : new TransferRateLimiter({ bytesPerSecond: limitBytesPerSecond, clock, scheduler: context.scheduler ?? timerScheduler });
          // What the limit cost, for the summary and --json (nothing without a limit).
          const limited = (): { limitBytesPerSecond: number; secondsHeldByLimit: number } | Record<string, never> =>
            rateLimiter === undefined ? {} : { limitBytesPerSecond: rateLimiter.bytesPerSecond, secondsHeldByLimit: rateLimiter.held.seconds };
          const limitNote = (): string => (rateLimiter === undefined ? "" : ` (limited to ${formatRate(rateLimiter.bytesPerSecond)}: writes held back ${rateLimiter.held.seconds.toFixed(1)} s)`);
          const onRetry = (reason: string): void => void context.stderr.write(`esxbackup: ${reason}\n`);
          // Failed after the host began to change (undone where it can be): exit 1, as a backup whose VM failed.
          // Stopped part-way with what the host acknowledged kept to be carried on: says so; Ctrl-C 130, an error 75.
          const failedOnHost = (error: unknown): undefined => {
            if (error instanceof RestoreLeftResumableError) {
              const { kept } = error;
              context.stderr.write(kept.interrupted ? `esxbackup: interrupted: ${resumeAdvice(kept)}\n` : `esxbackup: restore stopped: ${error.message}\n`);
              if (options.json === true) writeJson(context, { point: pointId, host: session.label, resumable: true, ...kept });
              context.setExitCode(kept.interrupted ? ExitCode.interrupted : ExitCode.resumable);
              return undefined;
            }
            if (!(error instanceof HostRestoreFailedError) || context.signal.aborted) throw error;
            context.stderr.write(`esxbackup: restore failed: ${error.message}\n`);
            context.setExitCode(ExitCode.problemsFound);
            return undefined;
          };
          // What both kinds of restore to a host are given alike.
          const common = { session, repository, pointId, channels, signal: context.signal, clock, progress, onRetry, verify: options.verify === true, ...(rateLimiter === undefined ? {} : { rateLimiter }) };
          const verifiedNote = (verified: { disks: number; blocks: number; method: string } | undefined): string =>
            verified === undefined ? "" : `; verified on the host: ${verified.blocks} blocks of ${verified.disks} disk(s) equal the point's (${verified.method})`;
          if (overOriginal) {
            const result = await restoreOverOriginal({
              ...common,
              ...(name === undefined ? {} : { name }),
              onResume: ({ folderPath, bytesWritten, bytesTotal }) =>
                void context.stderr.write(`esxbackup: resuming restore of point ${pointId} over the VM in ${folderPath}: ${bytesWritten} of ${bytesTotal} bytes already written (${formatBytes(bytesWritten)} of ${formatBytes(bytesTotal)})\n`),
              onRewriteWhole: (why) => void context.stderr.write(`esxbackup: ${why}\n`),
            }).catch(failedOnHost);
            if (result === undefined) return;
            if (result.recordLeftBehind !== undefined) context.stderr.write(`esxbackup: ${result.recordLeftBehind}\n`);
            if (options.json === true) writeJson(context, { point: pointId, host: session.label, overOriginal: true, ...result, ...limited() });
            else {
              const zeroed = result.disks.reduce((sum, disk) => sum + disk.bytesZeroed, 0);
              context.stderr.write(
                `restored point ${pointId} over VM ${result.vmid} ${JSON.stringify(result.name)} on ${session.label}: ${formatBytes(result.bytesWritten)} sent, ${formatBytes(zeroed)} zeroed on the host` +
                  `${result.resumed ? ` (${formatBytes(result.bytesAlreadyWritten)} were rewritten already)` : ""}, over ${channels} channel(s) (${result.method}) in ${result.seconds.toFixed(1)} s${limitNote()}; its .vmx is kept${verifiedNote(result.verified)}\n`,
              );
            }
            return;
          }
          const result = await restoreToHost({
            ...common,
            name: name as string,
            ...(options.datastore === undefined ? {} : { datastore: options.datastore }),
            powerOn: options.powerOn === true,
            discardLeftover: options.discardLeftover === true,
            onWarning: (warning) => void context.stderr.write(`esxbackup: warning: ${warning}\n`),
            onHostBusy: (wait) => void context.stderr.write(`esxbackup: ${hostBusyNote(wait)}\n`),
            ...(context.scheduler === undefined ? {} : { scheduler: context.scheduler }),
            onResume: ({ folderPath, bytesWritten, bytesTotal }) =>
              void context.stderr.write(`esxbackup: resuming restore of point ${pointId} into ${folderPath}: ${bytesWritten} of ${bytesTotal} bytes already written (${formatBytes(bytesWritten)} of ${formatBytes(bytesTotal)})\n`),
          }).catch((error: unknown) => {
            if (error instanceof PowerOnFailedError) {
              context.stderr.write(`esxbackup: ${error.message}\n`);
              context.setExitCode(ExitCode.problemsFound);
              return undefined;
            }
            return failedOnHost(error);
          });
          if (result === undefined) return;
          if (result.recordLeftBehind !== undefined) context.stderr.write(`esxbackup: ${result.recordLeftBehind}\n`);
          if (options.json === true) {
            writeJson(context, { point: pointId, host: session.label, ...result, ...limited() });
            return;
          }
          const seconds = result.seconds;
          context.stderr.write(
            `restored point ${pointId} to ${session.label} as ${JSON.stringify(result.name)} (vmid ${result.vmid}) in [${result.datastore}] ${result.name}/: ` +
              `${formatBytes(result.bytesWritten)} written${result.resumed ? ` (${formatBytes(result.bytesAlreadyWritten)} were there already)` : ""} over ${channels} channel(s) (${result.method}) in ${seconds.toFixed(1)} s (${formatRate(seconds > 0 ? result.bytesWritten / seconds : 0)})${limitNote()}` +
              `${result.poweredOn ? ", powered on" : ""}${verifiedNote(result.verified)}\n`,
          );
          if (result.detachedSlots.length > 0) context.stderr.write(`esxbackup: the point holds no data for ${result.detachedSlots.join(", ")}; restored as not present\n`);
        } finally {
          await session.close();
        }
      });
    });
}
