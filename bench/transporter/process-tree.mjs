// CPU time and storage reads of a process tree from /proc: what the simulated host (its node process and
// everything it started — sandbox holder, sshd sessions, cat, python, rsync) has used so far. Each live
// process counts its own time (utime + stime) and that of the children it has waited for (cutime + cstime);
// a child that exits is waited for by its parent and moves into the parent's figures, so the sum only grows.
// The same holds for /proc/<pid>/io's read_bytes (bytes fetched from storage: page-cache hits are not
// counted), which Linux adds to the parent when it waits for a child. (A process that leaves the tree
// without being waited for — a daemon — is lost; the simulator starts none.)
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Pure: the fields of a /proc/<pid>/stat line that matter here. */
export function parseProcStat(text) {
  // The command name is in parentheses and may hold spaces or parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const num = (i) => Number(fields[i - 3]); // fields[0] is field 3 (state), as proc(5) numbers them
  return { ppid: num(4), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17) };
}

function allProcesses() {
  const processes = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      processes.set(Number(entry), parseProcStat(readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // gone meanwhile
    }
  }
  return processes;
}

/** Pure: `read_bytes` of a /proc/<pid>/io text. */
export function parseProcIoReadBytes(text) {
  const match = /^read_bytes:\s*(\d+)$/m.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/**
 * CPU seconds used by `rootPid` and its descendants, and the bytes they read from storage, those already
 * waited for included.
 */
export function processTreeUse(rootPid) {
  const processes = allProcesses();
  const children = new Map();
  for (const [pid, p] of processes) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  let ticks = 0;
  let readBytes = 0;
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop();
    const p = processes.get(pid);
    if (p === undefined) continue;
    ticks += p.utime + p.stime + p.cutime + p.cstime;
    try {
      readBytes += parseProcIoReadBytes(readFileSync(`/proc/${pid}/io`, "utf8"));
    } catch {
      // gone meanwhile
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return { cpuS: ticks / TICKS_PER_SECOND, readBytes };
}
