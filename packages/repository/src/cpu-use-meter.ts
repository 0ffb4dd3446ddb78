/**
 * How busy the cores are lately, measured over consecutive windows: the larger of two shares — this
 * process's CPU time (all its threads) over wall time × the cores it may run on, and the machine's busy
 * time over its total (other processes taking the cores count too). The codec pool asks it whether a core
 * is left for a costlier compression level (`compressionLevelFor`); a queue of jobs alone cannot say so when
 * the workers share their cores with the main thread taking in the data, or with other programs.
 */
import { availableParallelism, cpus } from "node:os";

export interface CpuUseSample {
  /** CPU time this process has used so far (user + system), in microseconds. */
  cpuMicros: number;
  /** A monotonic wall clock, in microseconds. */
  wallMicros: number;
  /** The machine's CPU time so far, all cores: busy (user, nice, system, interrupts) and in all (busy + idle), in ms. */
  machine?: { busyMs: number; totalMs: number };
}

const processSample = (): CpuUseSample => {
  const { user, system } = process.cpuUsage();
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of cpus()) {
    const busy = times.user + times.nice + times.sys + times.irq;
    busyMs += busy;
    totalMs += busy + times.idle;
  }
  return { cpuMicros: user + system, wallMicros: performance.now() * 1000, machine: { busyMs, totalMs } };
};

/** A window shorter than this says more about the scheduler's time slices than about the load. */
export const CPU_USE_WINDOW_MICROS = 250_000;

export class CpuUseMeter {
  readonly #cores: number;
  readonly #sample: () => CpuUseSample;
  #windowStart: CpuUseSample;
  #lastShare = 0;

  /** `cores`: those this process may run on (`availableParallelism` follows the CPU affinity mask). */
  constructor(options: { cores?: number; sample?: () => CpuUseSample } = {}) {
    this.#cores = Math.max(1, options.cores ?? availableParallelism());
    this.#sample = options.sample ?? processSample;
    this.#windowStart = this.#sample();
  }

  /**
   * The share of the cores busy over the last whole window (0 before the first one ends; above 1 only
   * through measuring error). Closes the current window when it is long enough.
   */
  share(): number {
    const now = this.#sample();
    const start = this.#windowStart;
    const wall = now.wallMicros - start.wallMicros;
    if (wall >= CPU_USE_WINDOW_MICROS) {
      const own = (now.cpuMicros - start.cpuMicros) / (wall * this.#cores);
      const machineTotal = now.machine !== undefined && start.machine !== undefined ? now.machine.totalMs - start.machine.totalMs : 0;
      const machine = machineTotal > 0 ? ((now.machine?.busyMs ?? 0) - (start.machine?.busyMs ?? 0)) / machineTotal : 0;
      this.#lastShare = Math.max(own, machine);
      this.#windowStart = now;
    }
    return this.#lastShare;
  }
}
