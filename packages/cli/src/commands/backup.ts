/**
 * `esxbackup backup --host H[:PORT] --user U --password-file F [--known-hosts F] (--vm NAME… | --all
 * [--exclude NAME]…) --repo DIR [--repo-password-file F] [--channels N] [--limit-rate SIZE] [--full] [--quiesce]
 * [--limit-host-read SIZE] [--allow-user-snapshots] [--tag T]… [--no-adaptive-compression] [--json]`
 * — backs up VMs of an ESXi host into a repository, one recovery point per VM (docs/adr/0024). A thin
 * shell over the transporter's `backUpVms`: it checks the options, logs in (the host key pinned on first
 * use, a changed one refused), probes what the host can do, and prints what happened to each VM and a
 * summary (backup-report.ts). `--limit-rate` caps the disks' data read from the host, summed over the run
 * (docs/adr/0032); `--limit-host-read` caps what the host reads from its datastore for the run, its
 * fingerprint pass and the data reads together (docs/adr/0035).
 *
 * Exit codes: 0 every VM backed up; 1 some VM failed or was refused (each says why); 2 bad input (nothing
 * changed); 3 the host could not be reached, the login or its key was refused, or the repository is not
 * writable (said before the host is contacted); 130 interrupted (Ctrl-C:
 * every run snapshot is removed before the command ends).
 */
import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { InvalidInputError, systemClock, timerScheduler } from "@esxbackup/domain";
import { SNAPSHOT_BACKUP_COMPRESSION_FLOOR } from "@esxbackup/repository";
import type { BackupHostCapabilities, EsxiSshSession, VmBackupEvent, VmSelection } from "@esxbackup/transporter";
import type { CommandContext } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { backupReport, formatVmLines, formatRunSummary } from "./backup-report.js";
import type { AppliedRateLimit } from "./backup-report.js";
import { MAX_SSH_CHANNELS, addHostLoginOptions, hostLogin, openHostSession, parseChannelsOption } from "./host-login.js";
import type { HostLoginOptions } from "./host-login.js";
import { hostBusyNote } from "./host-busy-note.js";
import { MIN_LIMIT_RATE_BYTES_PER_SECOND, parseLimitRate } from "./limit-rate-option.js";
import { parseMinDatastoreFree } from "./min-datastore-free-option.js";
import { checkTags } from "./tag-option.js";
import { parseByteSize, usingRepositoryAlongside } from "./repo/open-repository.js";
import { checkWritable } from "./repo/repository-not-writable.js";
import { TerminalProgressReporter } from "./repo/terminal-progress-reporter.js";

interface BackupOptions extends HostLoginOptions {
  vm: string[];
  all?: boolean;
  exclude: string[];
  repo: string;
  repoPasswordFile?: string;
  channels?: string;
  limitRate?: string;
  limitHostRead?: string;
  full?: boolean;
  quiesce?: boolean;
  quiesceIfPossible?: boolean;
  allowUserSnapshots?: boolean;
  minDatastoreFree?: string;
  tag: string[];
  flushEvery?: string;
  adaptiveCompression: boolean;
  json?: boolean;
}

export function registerBackupCommand(program: Command, context: CommandContext): void {
  addHostLoginOptions(program.command("backup").description("back up VMs of an ESXi host into a repository: one recovery point per VM, only changed blocks read"))
    .option("--vm <name>", "the VM to back up, by its name on the host; repeat for several", collect, [])
    .option("--all", "back up every VM on the host (but ESXi's own system VMs), each in its own point")
    .option("--exclude <name>", "with --all: a VM to leave out, by its name on the host; repeat for several", collect, [])
    .requiredOption("--repo <dir>", "the repository folder")
    .option("--repo-password-file <file>", "file holding the repository's passphrase when it is encrypted (or set ESXBACKUP_PASSWORD)")
    .option("--channels <n>", `SSH channels reading each disk, 1 to ${MAX_SSH_CHANNELS} (default 4)`)
    .option(
      "--limit-rate <size>",
      `read at most SIZE per second from the host, all VMs and channels of the run together, e.g. 50M or 800K (K, M, G: KiB, MiB, GiB; "/s" may follow); at least ${MIN_LIMIT_RATE_BYTES_PER_SECOND / 1024}K. Unchanged and zero blocks are not read and cost nothing; the host's fingerprint pass (its output is small) is not limited by it, nor the host's reading of its disks: see --limit-host-read`,
    )
    .option(
      "--limit-host-read <size>",
      `let the host read at most SIZE per second from its datastore for this run, all VMs, disks and channels together, so the backup leaves the datastore's I/O to the VMs on it (SIZE as for --limit-rate; at least ${MIN_LIMIT_RATE_BYTES_PER_SECOND / 1024}K). It counts the host's fingerprint pass, which reads every disk whole on every backup, full or incremental (a 100 GiB disk at 50M takes over half an hour), and the blocks read to be sent. With --limit-rate, both hold`,
    )
    .option("--full", "do not continue from earlier points: read every disk whole (the repository still stores only new chunks)")
    .option("--quiesce", "ask for a quiesced snapshot (needs VMware Tools in the guest); a VM whose host refuses it fails")
    .option("--quiesce-if-possible", "ask for a quiesced snapshot, and where the host refuses it (no VMware Tools running) take one without quiescing, with a warning: that VM's point is crash-consistent")
    .option("--allow-user-snapshots", "back up VMs that have snapshots of their own, reading the base disks below them (the snapshots are kept)")
    .option(
      "--min-datastore-free <share|size>",
      "refuse a running VM, before its snapshot is taken, when a datastore holding its .vmx or a disk has less free than this (its snapshot grows there with every write during the backup), and stop its backup, removing the snapshot, when one falls under half of it meanwhile: a share like 5% or a size like 20G; 0 checks nothing (default 5%)",
    )
    .option("--tag <tag>", "a tag recorded in each point; repeat for each", collect, [])
    .option("--flush-every <size>", "make new chunks durable every SIZE stored (default 256M); smaller = less to redo after a crash")
    .option("--no-adaptive-compression", `always compress at the repository's level, even when that keeps the VM's snapshot open longer (by default runs the encoders cannot keep up with, or sealed while the cores are mostly busy, are compressed at level ${SNAPSHOT_BACKUP_COMPRESSION_FLOOR})`)
    .option("--json", "print the result as JSON")
    .action(async (options: BackupOptions) => {
      if (options.all === true && options.vm.length > 0) throw new InvalidInputError("--all", "back up either the VMs --vm names or --all of them, not both");
      if (options.quiesce === true && options.quiesceIfPossible === true) throw new InvalidInputError("--quiesce-if-possible", "asks for quiesced snapshots already, falling back where the host refuses them; give it or --quiesce (which fails such a VM), not both");
      if (options.all !== true && options.exclude.length > 0) throw new InvalidInputError("--exclude", "leaves VMs out of --all; with --vm, name only the VMs to back up");
      if (options.all !== true && options.vm.length === 0) throw new InvalidInputError("--vm", "name at least one VM to back up, or --all (esxbackup inventory lists them)");
      // An empty name (an unset shell variable, most likely) names no VM: said before the host is asked.
      for (const [names, flag] of [[options.vm, "--vm"], [options.exclude, "--exclude"]] as const) {
        if (names.includes("")) throw new InvalidInputError(flag, "got an empty VM name (an unset variable?); every VM on a host has a name");
      }
      const repeated = options.vm.find((name, index) => options.vm.indexOf(name) !== index);
      if (repeated !== undefined) throw new InvalidInputError("--vm", `${JSON.stringify(repeated)} is named twice`);
      const tags = checkTags(options.tag);
      const channels = options.channels === undefined ? undefined : parseChannelsOption(options.channels);
      const flushEveryBytes = options.flushEvery === undefined ? undefined : parseByteSize(options.flushEvery, "--flush-every");
      const minDatastoreFree = options.minDatastoreFree === undefined ? undefined : parseMinDatastoreFree(options.minDatastoreFree);
      const limitBytesPerSecond = options.limitRate === undefined ? undefined : parseLimitRate(options.limitRate);
      const hostReadLimitBytesPerSecond = options.limitHostRead === undefined ? undefined : parseLimitRate(options.limitHostRead, "--limit-host-read");
      // A repository that cannot be written would fail each VM only once its snapshot is taken and its
      // disks read: said first, with no host touched.
      await checkWritable(options.repo, options.repo);
      const login = await hostLogin(options, context.env);
      const { TransferRateLimiter, backUpVms, listHostVms, probeBackupCapabilities, selectAllVms } = await import("@esxbackup/transporter");
      const clock = context.clock ?? systemClock;
      const log = (line: string): void => void context.stderr.write(`esxbackup: ${line}\n`);
      const open = (): Promise<EsxiSshSession> => openHostSession(login, context);
      // One limiter for the whole run: every VM, disk and channel draws on the same bytes per second.
      const limiterAt = (bytesPerSecond: number | undefined): InstanceType<typeof TransferRateLimiter> | undefined =>
        bytesPerSecond === undefined ? undefined : new TransferRateLimiter({ bytesPerSecond, clock, scheduler: context.scheduler ?? timerScheduler });
      const rateLimiter = limiterAt(limitBytesPerSecond);
      // And one for what the host reads from its datastore: the fingerprint pass and the data reads.
      const hostReadLimiter = limiterAt(hostReadLimitBytesPerSecond);
      const runId = `${clock.now().toISOString().replace(/[-:.]/gu, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`;
      const startedMs = clock.now().getTime();
      const repo = {
        repo: options.repo,
        passwordFileOption: "--repo-password-file",
        ...(options.repoPasswordFile === undefined ? {} : { passwordFile: options.repoPasswordFile }),
        ...(options.adaptiveCompression ? { compressionFloor: SNAPSHOT_BACKUP_COMPRESSION_FLOOR } : {}),
      };
      // Connect, log in and probe once before any VM, while the repository opens: a wrong password or a
      // changed key stops here (exit 3). The session is kept for the first VM rather than logging in again.
      const loggedIn = async (): Promise<{ session: EsxiSshSession; capabilities: BackupHostCapabilities }> => {
        const session = await open();
        try {
          return { session, capabilities: await probeBackupCapabilities(session) };
        } catch (error) {
          await session.close();
          throw error;
        }
      };
      // With --all: what was chosen, for --json (the VMs themselves are the report's).
      let selection: ({ all: true; excluded: string[] } & Omit<VmSelection, "vmNames">) | undefined;
      const outcomes = await usingRepositoryAlongside(repo, context, loggedIn, async (repository, { session, capabilities }) => {
        let spare: EsxiSshSession | undefined = session;
        try {
          let vmNames = options.vm;
          if (options.all === true) {
            const chosen = selectAllVms(await listHostVms(session, { signal: context.signal }), options.exclude);
            for (const name of chosen.unknownExclusions) log(`--exclude ${JSON.stringify(name)}: the host has no VM of that name (misspelt?)`);
            for (const name of chosen.systemVms) log(`${JSON.stringify(name)}: a system VM (its .vmx is on no datastore), left out`);
            for (const vmid of chosen.invalidVmids) log(`VM ${vmid}: the host could not load it (listed as invalid), so it cannot be backed up; its .vmx may be gone or its datastore unmounted`);
            if (chosen.vmNames.length === 0) log("--all: no VM to back up on this host");
            const { vmNames: chosenNames, ...chosenAbout } = chosen;
            selection = { all: true, excluded: [...new Set(options.exclude)], ...chosenAbout };
            vmNames = chosenNames;
          }
          return await backUpVms({
            vmNames,
            connect: async () => {
              const kept = spare;
              spare = undefined;
              return kept ?? open();
            },
            runId,
            hostLabel: options.host,
            repository,
            capabilities,
            full: options.full === true,
            quiesce: options.quiesce === true || options.quiesceIfPossible === true,
            quiesceFallback: options.quiesceIfPossible === true,
            allowUserSnapshots: options.allowUserSnapshots === true,
            ...(minDatastoreFree === undefined ? {} : { minDatastoreFree }),
            tags,
            ...(channels === undefined ? {} : { channels }),
            ...(flushEveryBytes === undefined ? {} : { flushEveryBytes }),
            ...(rateLimiter === undefined ? {} : { rateLimiter }),
            ...(hostReadLimiter === undefined ? {} : { hostReadLimiter }),
            signal: context.signal,
            clock,
            scheduler: context.scheduler ?? timerScheduler,
            progress: new TerminalProgressReporter(context.stderr, clock, {
              interactive: context.interactive,
              ...(limitBytesPerSecond === undefined ? {} : { limitBytesPerSecond }),
              ...(hostReadLimitBytesPerSecond === undefined ? {} : { hostReadLimitBytesPerSecond }),
            }),
            onEvent: (event) => {
              const line = describeEvent(event, options.full === true);
              if (line !== undefined) log(line);
            },
          });
        } finally {
          await spare?.close();
        }
      }, ({ session }) => session.close());
      if (context.signal.aborted) throw context.signal.reason ?? new Error("interrupted");
      const applied = (limiter: typeof rateLimiter): AppliedRateLimit | undefined => (limiter === undefined ? undefined : { bytesPerSecond: limiter.bytesPerSecond, seconds: limiter.held.seconds });
      const report = backupReport(options.host, outcomes, (clock.now().getTime() - startedMs) / 1000, applied(rateLimiter), applied(hostReadLimiter));
      if (options.json === true) {
        context.stdout.write(`${JSON.stringify(selection === undefined ? report : { ...report, selection }, null, 2)}\n`);
      } else {
        for (const vm of report.vms) if ("point" in vm) context.stdout.write(`${vm.point} ${vm.vm}\n`);
        for (const line of formatVmLines(report.vms, { full: options.full === true })) context.stderr.write(`${line}\n`);
        context.stderr.write(`${formatRunSummary(report.summary)}\n`);
      }
      context.setExitCode(report.summary.vmsFailed === 0 ? ExitCode.ok : ExitCode.problemsFound);
    });
}

/** `full`: the run has --full, so no VM has a previous point though it may have earlier ones: not "a first backup". */
function describeEvent(event: VmBackupEvent, full: boolean): string | undefined {
  const vm = JSON.stringify(event.vm);
  switch (event.type) {
    case "previous-point":
      if (full) return `${vm}: --full: a full backup, not continued from an earlier point`;
      return event.previous === undefined ? `${vm}: no earlier point of this VM: a first backup` : `${vm}: continuing from point ${event.previous.pointId} (same VM by ${event.previous.matchedBy === "uuid" ? "BIOS uuid" : "vmid and name"})`;
    case "hashing":
      if (event.readOnce) return `${vm} ${event.disk}: read once with ${event.reading}, hashed on the host as it is read (${full ? "a full backup, --full" : "a first backup"})`;
      return `${vm} ${event.disk}: ${event.method === "full-read" ? "the host cannot hash it: read whole" : `hashed on the host with ${event.method}`}, read with ${event.reading}`;
    case "read-retry":
      return `${vm} ${event.disk}: read tried again (${event.reason})`;
    case "datastore-room-unknown":
      return `${vm}: WARNING: the free space of its datastores could not be read (${event.reason}); backed up without the space checks (--min-datastore-free)`;
    case "snapshot": {
      const s = event.event;
      if (s.type === "orphan-removed") return `${vm}: removed snapshot ${JSON.stringify(s.snapshot.name)} left by an earlier run`;
      if (s.type === "created") return `${vm}: snapshot ${JSON.stringify(s.snapshot.name)} taken${s.quiesced ? " (quiesced)" : ""}`;
      if (s.type === "removed") return `${vm}: snapshot ${JSON.stringify(s.snapshot.name)} removed`;
      if (s.type === "quiesce-failed") return `${vm}: WARNING: the host refused a quiesced snapshot (${s.reason}); taking one without quiescing: the point is crash-consistent`;
      if (s.type === "host-busy") return `${vm}: ${hostBusyNote(s)}`;
      return `${vm}: removing snapshot ${JSON.stringify(s.snapshot.name)} again (${s.reason})`;
    }
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
