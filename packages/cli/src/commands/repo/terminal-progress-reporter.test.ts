import { strict as assert } from "node:assert";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { TerminalProgressReporter } from "./terminal-progress-reporter.js";

const MiB = 1024 * 1024;
const ESC = String.fromCharCode(0x1b);

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let written = "";
  stream.on("data", (data: Buffer) => (written += data.toString()));
  return { stream, text: () => written };
}

/** What a terminal shows after `written`: text overwrites from the cursor; cursor-up, clear-line and clear-below applied. */
function screen(written: string): string[] {
  const lines: string[] = [];
  let row = 0;
  let column = 0;
  // The escape character built from its code: a literal one in a pattern reads as a mistake.
  const pattern = new RegExp(`${ESC}\\[(\\d*)([FKJ])|\\r|\\n|[^${ESC}\\r\\n]+`, "gu");
  for (const match of written.matchAll(pattern)) {
    const [token, count, command] = match;
    const line = lines[row] ?? "";
    if (command === "F") [row, column] = [Math.max(0, row - Number(count === "" ? 1 : count)), 0];
    else if (command === "K") lines[row] = line.slice(0, column);
    else if (command === "J") lines.splice(row, lines.length, line.slice(0, column));
    else if (token === "\n") [row, column] = [row + 1, 0];
    else if (token === "\r") column = 0;
    else {
      lines[row] = line.slice(0, column).padEnd(column) + token + line.slice(column + token.length);
      column += token.length;
    }
  }
  return lines.filter((line) => line !== "");
}

describe("TerminalProgressReporter", () => {
  it("on a terminal: one line per running disk redrawn in place with rate and ETA on the injected clock; a finished one stays above", () => {
    const clock = new ManualClock();
    const out = capture();
    const reporter = new TerminalProgressReporter(out.stream, clock, { interactive: true });
    const a = reporter.start({ phase: "backup", vm: "web01", disk: "scsi0:0 web01.vmdk", bytesTotal: 100 * MiB });
    const b = reporter.start({ phase: "fingerprint", vm: "web01", disk: "scsi0:1 data.vmdk", bytesTotal: 400 * MiB });
    clock.advance(10_000);
    a.update(50 * MiB);
    b.update(100 * MiB);
    assert.deepEqual(screen(out.text()), [
      "backup web01 scsi0:0 web01.vmdk 50.0 MiB / 100.0 MiB (50 %), 5.0 MiB/s, ETA 0:10",
      "fingerprint web01 scsi0:1 data.vmdk 0 B / 400.0 MiB (0 %), - B/s, ETA -",
    ], "the second update came within 200 ms of the first draw: not drawn yet");
    clock.advance(200);
    b.update(102 * MiB);
    assert.deepEqual(screen(out.text())[1], "fingerprint web01 scsi0:1 data.vmdk 102.0 MiB / 400.0 MiB (25 %), 10.0 MiB/s, ETA 0:30");
    clock.advance(9_800);
    a.update(100 * MiB);
    a.stop();
    assert.deepEqual(screen(out.text()), [
      "backup web01 scsi0:0 web01.vmdk 100.0 MiB / 100.0 MiB (100 %), 5.0 MiB/s, ETA 0:00",
      "fingerprint web01 scsi0:1 data.vmdk 102.0 MiB / 400.0 MiB (25 %), 5.1 MiB/s, ETA 0:59",
    ]);
    reporter.note("web01: the host dropped the connection; reading again");
    assert.deepEqual(screen(out.text()).slice(1), [
      "web01: the host dropped the connection; reading again",
      "fingerprint web01 scsi0:1 data.vmdk 102.0 MiB / 400.0 MiB (25 %), 5.1 MiB/s, ETA 0:59",
    ], "a note goes above the running task, which is drawn again below it");
    b.stop();
    const snapshot = reporter.start({ phase: "cleanup", vm: "web01" });
    clock.advance(3_000);
    snapshot.stop();
    assert.deepEqual(screen(out.text()).slice(1), [
      "web01: the host dropped the connection; reading again",
      "fingerprint web01 scsi0:1 data.vmdk 102.0 MiB / 400.0 MiB (25 %), 5.1 MiB/s, ETA 0:59",
      "cleanup web01 took 0:03",
    ]);
  });

  it("elsewhere: nothing redrawn, a plain line when a task stops and one every 30 s while it runs", () => {
    const clock = new ManualClock();
    const out = capture();
    const reporter = new TerminalProgressReporter(out.stream, clock, { interactive: false });
    const task = reporter.start({ phase: "backup", vm: "db", disk: "scsi0:0 db.vmdk", bytesTotal: 300 * MiB });
    clock.advance(10_000);
    task.update(10 * MiB);
    assert.equal(out.text(), "");
    clock.advance(20_000);
    task.update(30 * MiB);
    clock.advance(30_000);
    task.update(300 * MiB);
    task.stop();
    task.update(1);
    assert.equal(
      out.text(),
      "backup db scsi0:0 db.vmdk 30.0 MiB / 300.0 MiB (10 %), 1.0 MiB/s, ETA 4:30\n" +
        "backup db scsi0:0 db.vmdk 300.0 MiB / 300.0 MiB (100 %), 5.0 MiB/s, ETA 0:00\n" +
        "backup db scsi0:0 db.vmdk 300.0 MiB / 300.0 MiB (100 %), 5.0 MiB/s, ETA 0:00\n",
    );
    assert.ok(!out.text().includes(ESC) && !out.text().includes("\r"), "no escape sequences, no carriage returns");
  });

  it("under a bandwidth limit, a backup task's time left is counted at the limit at most; a fingerprint task's is not (the host's hashing is not limited)", () => {
    const clock = new ManualClock();
    const out = capture();
    const reporter = new TerminalProgressReporter(out.stream, clock, { interactive: false, limitBytesPerSecond: MiB });
    const backup = reporter.start({ phase: "backup", vm: "web01", disk: "scsi0:0 web01.vmdk", bytesTotal: 14 * MiB });
    const hashing = reporter.start({ phase: "fingerprint", vm: "web01", disk: "scsi0:1 data.vmdk", bytesTotal: 400 * MiB });
    clock.advance(2_000);
    backup.update(8 * MiB); // the burst and two seconds at the limit: 4 MiB/s on average, 6 MiB left at 1 MiB/s
    hashing.update(100 * MiB);
    backup.stop();
    hashing.stop();
    assert.deepEqual(out.text().split("\n").slice(0, 2), [
      "backup web01 scsi0:0 web01.vmdk 8.0 MiB / 14.0 MiB (57 %), 4.0 MiB/s, ETA 0:06",
      "fingerprint web01 scsi0:1 data.vmdk 100.0 MiB / 400.0 MiB (25 %), 50.0 MiB/s, ETA 0:06",
    ]);
  });

  it("under a host read limit, the host's fingerprint pass and the backup's reads are counted at it at most (with a bandwidth limit too, at the slower); a previous point hashed from the repository is not", () => {
    const clock = new ManualClock();
    const out = capture();
    const reporter = new TerminalProgressReporter(out.stream, clock, { interactive: false, limitBytesPerSecond: 4 * MiB, hostReadLimitBytesPerSecond: 2 * MiB });
    const hashing = reporter.start({ phase: "fingerprint", vm: "web01", disk: "scsi0:0 web01.vmdk", bytesTotal: 100 * MiB });
    const backup = reporter.start({ phase: "backup", vm: "web01", disk: "scsi0:0 web01.vmdk", bytesTotal: 30 * MiB });
    const previous = reporter.start({ phase: "fingerprint", vm: "web01", disk: "scsi0:0 web01.vmdk (previous point)", bytesTotal: 100 * MiB, fromRepository: true });
    clock.advance(2_000);
    hashing.update(20 * MiB); // 10 MiB/s on average after the burst; 80 MiB left at 2 MiB/s: 40 s
    backup.update(10 * MiB); // 20 MiB left at the slower limit, the host's: 10 s
    previous.update(50 * MiB); // 25 MiB/s from the repository: 2 s
    hashing.stop();
    backup.stop();
    previous.stop();
    assert.deepEqual(out.text().split("\n").slice(0, 3), [
      "fingerprint web01 scsi0:0 web01.vmdk 20.0 MiB / 100.0 MiB (20 %), 10.0 MiB/s, ETA 0:40",
      "backup web01 scsi0:0 web01.vmdk 10.0 MiB / 30.0 MiB (33 %), 5.0 MiB/s, ETA 0:10",
      "fingerprint web01 scsi0:0 web01.vmdk (previous point) 50.0 MiB / 100.0 MiB (50 %), 25.0 MiB/s, ETA 0:02",
    ]);
  });
});
