// How one run is measured: the command runs as a child of GNU time, which reports wall time, user and system
// CPU time and the peak resident set size of the process tree's largest member (wait4's ru_maxrss). The
// repository's growth is `du -sb` after minus before. The page cache is dropped before each timed run when
// the kernel lets us (root, writable /proc/sys/vm/drop_caches); otherwise the input is read once beforehand
// so that every run starts equally warm, and the report says which.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";
const TIME_FORMAT = "%e %U %S %M";
const OUTPUT_LIMIT_BYTES = 256 * 1024 * 1024;

/** A failed command, with the tail of what it printed. */
export class CommandFailedError extends Error {
  constructor(argv, status, stderr) {
    super(`${argv.join(" ")} exited with ${status}: ${stderr.slice(-2000)}`);
    this.name = "CommandFailedError";
    this.argv = argv;
    this.status = status;
  }
}

/** CPU seconds the whole machine has been busy since boot (all cores; /proc/stat, USER_HZ = 100). */
function machineBusyS() {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/**
 * Runs argv under GNU time and returns { wallS, userS, sysS, cpuS, maxRssBytes, othersCpuS, stdout, stderr };
 * othersCpuS is the CPU time the rest of the machine used meanwhile (a busy neighbour inflates wall times).
 * Throws CommandFailedError on a non-zero exit.
 */
export function measure(argv, { env = {}, cwd } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "bench-time-"));
  const timeFile = join(dir, "time");
  try {
    const busyBefore = machineBusyS();
    const child = spawnChecked(GNU_TIME, ["-f", TIME_FORMAT, "-o", timeFile, "--", ...argv], argv, { env, cwd });
    // GNU time writes "Command exited with non-zero status" first on failure; on success only our format.
    const last = readFileSync(timeFile, "utf8").trim().split("\n").pop();
    const [wallS, userS, sysS, maxRssKiB] = last.split(" ").map(Number);
    const othersCpuS = Math.max(0, machineBusyS() - busyBefore - userS - sysS);
    return {
      othersCpuS,
      wallS,
      userS,
      sysS,
      cpuS: userS + sysS,
      maxRssBytes: maxRssKiB * 1024,
      stdout: child.stdout,
      stderr: child.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs an untimed helper command; returns its stdout. */
export function run(argv, { env = {}, cwd } = {}) {
  return spawnChecked(argv[0], argv.slice(1), argv, { env, cwd }).stdout;
}

/** Runs `file args` to completion; a non-zero exit throws naming `argv` (the command as the caller sees it). */
function spawnChecked(file, args, argv, { env = {}, cwd } = {}) {
  const child = spawnSync(file, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: OUTPUT_LIMIT_BYTES,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.error) throw child.error;
  if (child.status !== 0) throw new CommandFailedError(argv, child.status, child.stderr);
  return child;
}

/**
 * Size of everything under `path`: `apparentBytes` (du -sb: the bytes of the files, what the figures
 * use) and `allocatedBytes` (du -s -B1: blocks the file system really holds, which also counts the padding of
 * the last block of every file — what a repository of many small files pays on top).
 */
export function duBytes(path) {
  const first = (args) => Number(execFileSync("du", [...args, path], { encoding: "utf8" }).split("\t")[0]);
  return { apparentBytes: first(["-sb"]), allocatedBytes: first(["-s", "-B1"]) };
}

/**
 * Decides once how runs start: returns { cold: true } if dropping the page cache works here, or
 * { cold: false, reason } if not.
 */
export function probeCacheDrop() {
  try {
    execFileSync("sync");
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return { cold: true };
  } catch (error) {
    return { cold: false, reason: error.code ?? error.message };
  }
}

/** Brings the page cache to the agreed starting state before a timed run. */
export function prepareCache(cacheMode, inputPaths) {
  execFileSync("sync");
  if (cacheMode.cold) {
    writeFileSync("/proc/sys/vm/drop_caches", "3\n");
    return;
  }
  for (const p of inputPaths) execFileSync("cat", [p], { stdio: ["ignore", "ignore", "inherit"] });
}
