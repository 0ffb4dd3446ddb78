import { strict as assert } from "node:assert";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { TransferMeter, drawProgress, formatDuration } from "./transfer-meter.js";

const MiB = 1024 * 1024;

describe("TransferMeter", () => {
  it("shows bytes done of the total in human units, the rate since the start and the time left", () => {
    const clock = new ManualClock();
    const meter = new TransferMeter("backup", 200 * MiB, clock);
    assert.equal(meter.line(), "backup 0 B / 200.0 MiB (0 %), - B/s, ETA -");
    clock.advance(5_000);
    meter.update(50 * MiB);
    assert.deepEqual(meter.snapshot(), { bytesDone: 50 * MiB, bytesTotal: 200 * MiB, throughputBytesPerSecond: 10 * MiB, etaSeconds: 15 });
    assert.equal(meter.line(), "backup 50.0 MiB / 200.0 MiB (25 %), 10.0 MiB/s, ETA 0:15");
    clock.advance(15_000);
    meter.update(200 * MiB);
    assert.equal(meter.line(), "backup 200.0 MiB / 200.0 MiB (100 %), 10.0 MiB/s, ETA 0:00");
  });

  it("under a bandwidth limit, the time left is counted at the limit while the start's burst makes the average faster", () => {
    const clock = new ManualClock();
    const meter = new TransferMeter("backup", 100 * MiB, clock, { limitBytesPerSecond: 2 * MiB });
    clock.advance(1_000);
    meter.update(6 * MiB); // a 4 MiB burst, then 2 MiB in the first second
    assert.deepEqual(meter.snapshot(), { bytesDone: 6 * MiB, bytesTotal: 100 * MiB, throughputBytesPerSecond: 6 * MiB, etaSeconds: 47 });
    clock.advance(9_000);
    meter.update(12 * MiB); // slower than the limit (a slow repository): the average rules
    assert.equal(meter.snapshot().etaSeconds, (88 * MiB) / (1.2 * MiB));
  });

  it("formats durations as m:ss or h:mm:ss", () => {
    assert.deepEqual([formatDuration(0), formatDuration(7.2), formatDuration(754), formatDuration(3723)], ["0:00", "0:08", "12:34", "1:02:03"]);
  });

  it("redraws one line on the terminal at most five times a second, and once more at the end", () => {
    const clock = new ManualClock();
    const stream = new PassThrough();
    let written = "";
    stream.on("data", (data: Buffer) => (written += data.toString()));
    const progress = drawProgress(new TransferMeter("restore", 4 * MiB, clock), stream, clock);
    clock.advance(1_000);
    progress.update(1 * MiB);
    clock.advance(100);
    progress.update(2 * MiB);
    clock.advance(100);
    progress.update(3 * MiB);
    progress.stop();
    const draws = written.split("\r").filter((part) => part !== "");
    assert.deepEqual(
      draws.map((part) => part.replace("\u001b[K", "")),
      ["restore 1.0 MiB / 4.0 MiB (25 %), 1.0 MiB/s, ETA 0:03", "restore 3.0 MiB / 4.0 MiB (75 %), 2.5 MiB/s, ETA 0:01", "restore 3.0 MiB / 4.0 MiB (75 %), 2.5 MiB/s, ETA 0:01\n"],
    );
  });
});
