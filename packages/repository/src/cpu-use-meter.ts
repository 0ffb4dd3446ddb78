/**
 * How much of the cores it may run on this process has used lately: CPU time (all its threads) over wall
 * time × cores, measured over consecutive windows. The codec pool asks it whether a core is left for a
 * costlier compression level (`compressionLevelFor`); a queue of jobs alone cannot say so when the workers
 * share their cores with the main thread taking in the data.
 */
import { availableParallelism } from "node:os";

export interface CpuUseSample {
  /** CPU time this process has used so far (user + system), in microseconds. */
  cpuMicros: number;
  /** A monotonic wall clock, in microseconds. */
  wallMicros: number;
}

const processSample = (): CpuUseSample => {
  const { user, system } = process.cpuUsage();
  return { cpuMicros: user + system, wallMicros: performance.now() * 1000 };
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
   * The share of the cores used over the last whole window (0 before the first one ends; above 1 only
   * through measuring error). Closes the current window when it is long enough.
   */
  share(): number {
    const now = this.#sample();
    const wall = now.wallMicros - this.#windowStart.wallMicros;
    if (wall >= CPU_USE_WINDOW_MICROS) {
      this.#lastShare = (now.cpuMicros - this.#windowStart.cpuMicros) / (wall * this.#cores);
      this.#windowStart = now;
    }
    return this.#lastShare;
  }
}
