import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { CPU_USE_WINDOW_MICROS, CpuUseMeter } from "./cpu-use-meter.js";
import type { CpuUseSample } from "./cpu-use-meter.js";

/** A meter fed by hand: `advance(wall, cpu)` moves both clocks. */
function meterWith(cores: number): { meter: CpuUseMeter; advance: (wallMicros: number, cpuMicros: number) => void } {
  const now: CpuUseSample = { cpuMicros: 5_000_000, wallMicros: 90_000_000 };
  const meter = new CpuUseMeter({ cores, sample: () => ({ ...now }) });
  return {
    meter,
    advance: (wallMicros, cpuMicros) => {
      now.wallMicros += wallMicros;
      now.cpuMicros += cpuMicros;
    },
  };
}

describe("CpuUseMeter", () => {
  it("says 0 until a whole window has passed", () => {
    const { meter, advance } = meterWith(1);
    advance(CPU_USE_WINDOW_MICROS - 1, CPU_USE_WINDOW_MICROS - 1);
    assert.equal(meter.share(), 0);
  });

  it("gives the CPU time over wall time × cores of the window that ended", () => {
    const one = meterWith(1);
    one.advance(CPU_USE_WINDOW_MICROS, 0.8 * CPU_USE_WINDOW_MICROS);
    assert.equal(one.meter.share(), 0.8);
    const two = meterWith(2);
    two.advance(CPU_USE_WINDOW_MICROS, 0.8 * CPU_USE_WINDOW_MICROS);
    assert.equal(two.meter.share(), 0.4, "two cores: the same CPU time is half as much of them");
  });

  it("keeps the last window's share until the next window ends, then moves on", () => {
    const { meter, advance } = meterWith(1);
    advance(CPU_USE_WINDOW_MICROS, CPU_USE_WINDOW_MICROS);
    assert.equal(meter.share(), 1);
    advance(CPU_USE_WINDOW_MICROS / 2, 0);
    assert.equal(meter.share(), 1, "half a window: not yet measured");
    advance(CPU_USE_WINDOW_MICROS / 2, CPU_USE_WINDOW_MICROS / 2);
    assert.equal(meter.share(), 0.5, "the second window: idle for its first half, busy for its second");
  });

  it("measures this process by default (a busy loop of one window uses some of its cores)", () => {
    const meter = new CpuUseMeter({ cores: 1 });
    const until = performance.now() + CPU_USE_WINDOW_MICROS / 1000;
    let spins = 0;
    while (performance.now() < until) spins += 1;
    assert.ok(spins > 0);
    assert.ok(meter.share() > 0, "a window spent spinning used CPU");
  });
});
