/**
 * EsxiDiskSource against a simulated host over SSH: byte ranges of a file whose name holds every shell
 * metacharacter read exactly by the Python reader and by `dd`, on more logical channels than readers; the
 * host's fingerprints (Python and busybox) equal node:crypto's with its zero blocks; a short disk is an error
 * naming it; a connection dropped mid-read is retried and the bytes are still right.
 */
import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkHostPythonScript } from "@esxbackup/esxi-simulator";
import { startTestHost } from "../testing/simulated-esxi-host.js";
import type { TestHost } from "../testing/simulated-esxi-host.js";
import { DISK_READ_PYTHON_SCRIPT } from "./disk-read-python-script.js";
import { DiskReadShortError } from "./disk-read-errors.js";
import { EsxiDiskSource, HASH_PIECE_LINES } from "./esxi-disk-source.js";
import type { EsxiDiskSourceOptions } from "./esxi-disk-source.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const DATASTORE_UUID = "5e0026d9-a647150e-d8a8-4cedfb76e9d5";
const AWKWARD = "it's \"a\" $HOME; `id` [1] *\nnext é 日本-flat.vmdk";
const PATH = `/vmfs/volumes/datastore1/read test/${AWKWARD}`;

/** 3 MiB + 8 KiB: random, then a zero MiB, then random again; 64 KiB blocks and a short tail. */
function content(): Buffer {
  return Buffer.concat([randomBytes(MIB), Buffer.alloc(MIB), randomBytes(MIB + 8 * KIB)]);
}

describe("EsxiDiskSource on a simulated host", () => {
  let t: TestHost;
  const data = content();
  let folder: string;

  before(async () => {
    t = await startTestHost({ esxiVersion: "6.7" });
    folder = join(t.host.rootDir, "vmfs", "volumes", DATASTORE_UUID, "read test");
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, AWKWARD), data);
  });
  after(async () => t.stop());

  const source = async (overrides: Partial<EsxiDiskSourceOptions> = {}): Promise<EsxiDiskSource> =>
    new EsxiDiskSource({
      session: overrides.session ?? (await t.open()),
      path: PATH,
      name: "read-test.vmdk",
      sizeBytes: data.length,
      hashing: { kind: "python", command: "python3", algorithm: "sha1" },
      reading: { kind: "python", command: "python3" },
      channels: 2,
      ...overrides,
    });

  /** A session whose first connection the host cuts after `bytes`; its reconnection is not cut. */
  const sessionCutAfter = async (bytes: number): Promise<Awaited<ReturnType<TestHost["open"]>>> => {
    t.host.faults.dropConnectionAfterBytes = bytes;
    try {
      return await t.open();
    } finally {
      t.host.faults.dropConnectionAfterBytes = null;
    }
  };

  it("the reader script is valid for the oldest host Python (6.7's 3.5)", async () => {
    for (const version of ["6.7", "7.0", "8.0"] as const) assert.deepEqual(await checkHostPythonScript(DISK_READ_PYTHON_SCRIPT, version), [], version);
  });

  for (const reading of [{ kind: "python", command: "python3" }, { kind: "dd" }] as const) {
    it(`${reading.kind}: reads exact ranges (single 4 KiB blocks, runs, the tail) over 5 channels sharing 2 readers`, async () => {
      const disk = await source({ reading });
      const channels = await disk.openChannels(5, 2 * MIB);
      try {
        const ranges: [number, number][] = [
          [0, 4 * KIB],
          [60 * KIB, 8 * KIB],
          [MIB - 4 * KIB, 2 * MIB],
          [2 * MIB, MIB + 8 * KIB],
          [3 * MIB, 8 * KIB],
          [12 * KIB, 4 * KIB],
        ];
        const results = await Promise.all(
          ranges.map(async ([offset, length], index) => {
            const view = await channels.read(index % 5, offset, length);
            return Buffer.from(view);
          }),
        );
        for (const [index, [offset, length]] of ranges.entries()) assert.ok(results[index]?.equals(data.subarray(offset, offset + length)), `range ${offset}+${length}`);
      } finally {
        await channels.close();
      }
    });
  }

  it("a read the size of the channel's buffer, handed to another thread as the pipeline does, leaves the channel able to read again", async () => {
    const disk = await source();
    const channels = await disk.openChannels(1, MIB);
    try {
      const first = await channels.read(0, 0, MIB);
      // The pipeline posts reads to worker threads, transferring every buffer it may.
      const transferable = first.byteOffset === 0 && first.byteLength === first.buffer.byteLength && first.buffer instanceof ArrayBuffer;
      structuredClone(first, { transfer: transferable ? [first.buffer] : [] });
      assert.ok(Buffer.from(await channels.read(0, MIB, MIB)).equals(data.subarray(MIB, 2 * MIB)));
    } finally {
      await channels.close();
    }
  });

  for (const hashing of [{ kind: "python", command: "python3", algorithm: "sha1" }, { kind: "busybox", algorithm: "sha1" }, { kind: "full-read", reason: "test" }] as const) {
    it(`${hashing.kind}: fingerprints equal node:crypto's, with the zero blocks found on the host`, async () => {
      const disk = await source({ hashing });
      const block = 64 * KIB;
      const done: number[] = [];
      const found = await disk.fingerprint({ algorithm: "sha1", blockSizeBytes: block, digestLengthBytes: 20 }, { signal: new AbortController().signal, onProgress: (bytes) => done.push(bytes) });
      let hex = "";
      const zero: number[] = [];
      for (let at = 0; at < data.length; at += block) {
        const piece = data.subarray(at, Math.min(at + block, data.length));
        hex += createHash("sha1").update(piece).digest("hex");
        zero.push(piece.every((byte) => byte === 0) ? 1 : 0);
      }
      assert.equal(Buffer.from(found.fingerprints.digests).toString("hex"), hex);
      assert.equal(found.fingerprints.sizeBytes, data.length);
      if (hashing.kind === "full-read") assert.ok(found.zeroBlocks.every((z) => z === 0), "read here: no zero map claimed");
      else assert.deepEqual([...found.zeroBlocks], zero);
      assert.equal(done.at(-1), data.length);
    });
  }

  for (const reading of [{ kind: "python", command: "python3" }, { kind: "dd" }] as const) {
    it(`${reading.kind}: a disk shorter than it was is an error naming it, never short data`, async () => {
      const shortName = `short ${reading.kind}-flat.vmdk`;
      await writeFile(join(folder, shortName), data.subarray(0, 2 * MIB));
      const disk = await source({ reading, path: `/vmfs/volumes/datastore1/read test/${shortName}` });
      const channels = await disk.openChannels(1, 2 * MIB);
      try {
        await assert.rejects(channels.read(0, MIB, 2 * MIB), (error: unknown) => {
          assert.ok(error instanceof DiskReadShortError, String(error));
          assert.match(error.message, new RegExp(`short ${reading.kind}-flat\\.vmdk: reading bytes 1048576–3145728`, "u"));
          return true;
        });
      } finally {
        await channels.close();
      }
      await truncate(join(folder, shortName), 0);
    });
  }

  it("a connection dropped in the middle of a read is retried on a new connection and the bytes are right", async () => {
    const retries: string[] = [];
    // The session's connection is cut after 512 KiB; the reconnection is not.
    const session = await sessionCutAfter(512 * KIB);
    const disk = await source({ session, channels: 1, onRetry: (reason) => retries.push(reason) });
    const channels = await disk.openChannels(1, 3 * MIB);
    try {
      const view = await channels.read(0, 0, 3 * MIB);
      assert.ok(Buffer.from(view).equals(data.subarray(0, 3 * MIB)));
      assert.equal(retries.length, 1, retries.join("\n"));
      assert.match(retries[0] ?? "", /connection/u);
      assert.equal(session.connectionCount, 2);
    } finally {
      await channels.close();
    }
  });

  it("each data read waits for its size on the wire's limit, then the host's; a reader that times out idle while held back is replaced, not retried", async () => {
    const retries: string[] = [];
    const readerEnds: Promise<unknown>[] = [];
    // Readers give up after 1.5 s without output; the test learns when one has ended from its result. (Long
    // enough that a reader's start on a busy machine, Python loading its script, is not taken for idling.)
    const real = await t.open({ streamIdleTimeoutMs: 1_500 });
    const session: EsxiDiskSourceOptions["session"] = {
      label: real.label,
      exec: (...args) => real.exec(...args),
      execStream: async (...args) => {
        const started = await real.execStream(...args);
        readerEnds.push(started.result.catch((error: unknown) => error));
        return started;
      },
    };
    const asked: string[] = [];
    const disk = await source({
      session,
      channels: 1,
      onRetry: (reason) => retries.push(reason),
      limits: {
        wire: {
          take: async (bytes) => {
            asked.push(`wire ${bytes}`);
            // The second read is held back until the first reader has timed out idle.
            if (asked.length === 3) assert.match(String(await readerEnds[0]), /no output within 1500 ms/u);
          },
        },
        hostRead: { bytesPerSecond: MIB, take: async (bytes) => void asked.push(`host ${bytes}`) },
        signal: new AbortController().signal,
      },
    });
    const channels = await disk.openChannels(1, 2 * MIB);
    try {
      assert.ok(Buffer.from(await channels.read(0, 0, 64 * KIB)).equals(data.subarray(0, 64 * KIB)));
      assert.ok(Buffer.from(await channels.read(0, 2 * MIB, MIB + 8 * KIB)).equals(data.subarray(2 * MIB, 3 * MIB + 8 * KIB)));
      assert.deepEqual(asked, [`wire ${64 * KIB}`, `host ${64 * KIB}`, `wire ${MIB + 8 * KIB}`, `host ${MIB + 8 * KIB}`]);
      assert.deepEqual(retries, [], "not a retry");
      assert.equal(readerEnds.length, 2, "a second reader served the second read");
    } finally {
      await channels.close();
      await real.close();
    }
  });

  describe("reads that fingerprint what they read (a first backup's one pass)", () => {
    const block = 64 * KIB;
    const kind = { algorithm: "sha1", blockSizeBytes: block, digestLengthBytes: 20 } as const;
    /** What the host must answer for a range: node:crypto's digests, the zero map, the bytes sent. */
    const expectedFor = (offset: number, length: number): { hex: string; zero: number[]; sent: number } => {
      let hex = "";
      const zero: number[] = [];
      let sent = 0;
      for (let at = offset; at < offset + length; at += block) {
        const piece = data.subarray(at, Math.min(at + block, offset + length));
        hex += createHash("sha1").update(piece).digest("hex");
        const isZero = piece.every((byte) => byte === 0);
        zero.push(isZero ? 1 : 0);
        if (!isZero) sent += piece.length;
      }
      return { hex, zero, sent };
    };

    it("ranges over 3 channels sharing 2 readers: the bytes, the host's digests and zero map, only the non-zero blocks sent", async () => {
      const disk = await source();
      assert.equal(disk.fingerprintsWhileReading(kind), true);
      const channels = await disk.openChannels(3, 2 * MIB, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        await assert.rejects(channels.read(0, 0, block), /read with readFingerprinted/u);
        // Each channel first reads random bytes, then a range with zero blocks into the same buffer: the
        // zero blocks, not sent, must not keep the bytes of the read before.
        const ranges: [number, number][] = [
          [0, MIB],
          [MIB + 12 * block, 8 * block],
          [2 * MIB, MIB + 8 * KIB],
          [MIB - 2 * block, 4 * block],
          [MIB, MIB],
          [3 * MIB, 8 * KIB],
        ];
        for (const [index, [offset, length]] of ranges.entries()) {
          const read = await channels.readFingerprinted(index % 3, offset, length);
          const expected = expectedFor(offset, length);
          assert.ok(Buffer.from(read.data).equals(data.subarray(offset, offset + length)), `bytes of ${offset}+${length}`);
          assert.equal(read.digests.toString("hex"), expected.hex, `digests of ${offset}+${length}`);
          assert.deepEqual([...read.zeroBlocks], expected.zero, `zero map of ${offset}+${length}`);
          assert.equal(read.bytesSent, expected.sent, `bytes sent for ${offset}+${length}`);
        }
        await assert.rejects(channels.readFingerprinted(0, 4 * KIB, block), /starts on a block/u);
      } finally {
        await channels.close();
      }
    });

    it("sends only the non-zero blocks: the wire carries the records and those bytes", async () => {
      const real = await t.open();
      const disk = await source({ session: real, channels: 1 });
      const channels = await disk.openChannels(1, 2 * MIB, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        // The reader started, then the zero MiB: 16 records of 21 bytes, nothing else.
        await channels.readFingerprinted(0, 0, block);
        const before = t.host.sshWireBytes.sentBytes;
        const read = await channels.readFingerprinted(0, MIB, MIB);
        assert.ok(read.zeroBlocks.every((z) => z === 1));
        assert.equal(read.bytesSent, 0);
        const sent = t.host.sshWireBytes.sentBytes - before;
        assert.ok(sent < 4 * KIB, `${sent} bytes sent by the host for a zero MiB`);
      } finally {
        await channels.close();
        await real.close();
      }
    });

    it("a read longer than the host's reader answers at once (chunks of 8 MiB) is asked in pieces and joined", async () => {
      const long = Buffer.concat([randomBytes(4 * MIB), Buffer.alloc(MIB), randomBytes(3 * MIB + 8 * KIB)]);
      await writeFile(join(folder, "long-flat.vmdk"), long);
      const disk = await source({ path: "/vmfs/volumes/datastore1/read test/long-flat.vmdk", sizeBytes: long.length, channels: 1 });
      const channels = await disk.openChannels(1, long.length, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        const read = await channels.readFingerprinted(0, 0, long.length);
        let hex = "";
        for (let at = 0; at < long.length; at += block) hex += createHash("sha1").update(long.subarray(at, Math.min(at + block, long.length))).digest("hex");
        assert.ok(Buffer.from(read.data).equals(long));
        assert.equal(read.digests.toString("hex"), hex);
        assert.equal(read.zeroBlocks.length, Math.ceil(long.length / block));
        assert.deepEqual([...read.zeroBlocks.subarray(64, 80)], new Array(16).fill(1), "the zero MiB");
        assert.equal(read.bytesSent, long.length - MIB);
      } finally {
        await channels.close();
      }
    });

    it("a connection dropped in the middle of a read is retried on a new connection and the answer is right", async () => {
      const retries: string[] = [];
      const session = await sessionCutAfter(512 * KIB);
      const disk = await source({ session, channels: 1, onRetry: (reason) => retries.push(reason) });
      const channels = await disk.openChannels(1, 4 * MIB, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        const read = await channels.readFingerprinted(0, 0, data.length);
        const expected = expectedFor(0, data.length);
        assert.ok(Buffer.from(read.data).equals(data));
        assert.equal(read.digests.toString("hex"), expected.hex);
        assert.equal(retries.length, 1, retries.join("\n"));
        assert.equal(session.connectionCount, 2);
      } finally {
        await channels.close();
      }
    });

    it("a disk shorter than it was is an error naming it", async () => {
      const shortName = "short fingerprinted-flat.vmdk";
      await writeFile(join(folder, shortName), data.subarray(0, 2 * MIB));
      const disk = await source({ path: `/vmfs/volumes/datastore1/read test/${shortName}` });
      const channels = await disk.openChannels(1, 2 * MIB, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        await assert.rejects(channels.readFingerprinted(0, MIB, 2 * MIB), (error: unknown) => {
          assert.ok(error instanceof DiskReadShortError, String(error));
          assert.match(error.message, /short fingerprinted-flat\.vmdk: reading bytes 1048576–3145728/u);
          return true;
        });
      } finally {
        await channels.close();
      }
    });

    it("only where the host's Python reads and hashes in the kind asked for", async () => {
      assert.equal((await source({ reading: { kind: "dd" } })).fingerprintsWhileReading(kind), false, "dd reads");
      assert.equal((await source({ hashing: { kind: "busybox", algorithm: "sha1" }, reading: { kind: "dd" } })).fingerprintsWhileReading(kind), false, "busybox hashes");
      assert.equal((await source()).fingerprintsWhileReading({ ...kind, algorithm: "md5", digestLengthBytes: 16 }), false, "another algorithm");
      await assert.rejects((await source({ reading: { kind: "dd" } })).openChannels(1, MIB, { fingerprints: kind }), /cannot fingerprint sha1/u);
    });

    it("under the run's limits: the host's takes the whole range before it is read, the wire's only the bytes sent", async () => {
      const taken: string[] = [];
      const disk = await source({
        channels: 1,
        limits: {
          wire: { take: async (bytes) => void taken.push(`wire ${bytes}`) },
          hostRead: { bytesPerSecond: MIB, take: async (bytes) => void taken.push(`host ${bytes}`) },
          signal: new AbortController().signal,
        },
      });
      assert.equal(disk.fingerprintsWhileReading(kind), true);
      const channels = await disk.openChannels(1, 2 * MIB, { fingerprints: kind });
      try {
        assert.ok(channels.readFingerprinted !== undefined);
        const expected: string[] = [];
        // A range of data, one with zero blocks, the zero MiB: the wire pays for what the answer carried,
        // which only the answer tells.
        for (const [offset, length] of [[0, MIB], [MIB + 12 * block, 8 * block], [MIB, MIB]] as const) {
          const sent = expectedFor(offset, length).sent;
          expected.push(`host ${length}`, `wire ${sent}`);
          assert.equal((await channels.readFingerprinted(0, offset, length)).bytesSent, sent);
        }
        assert.deepEqual(taken, expected);
        assert.ok(expected.includes("wire 0"), "the zero MiB cost the wire nothing");
      } finally {
        await channels.close();
      }
    });
  });

  describe("fingerprints read as the host prints them", () => {
    // 2,050 blocks of 4 KiB: the host's script prints them HASH_PIECE_LINES at a time.
    const block = 4 * KIB;
    const big = Buffer.concat([randomBytes(4 * MIB), Buffer.alloc(2 * MIB), randomBytes(2 * MIB + 8 * KIB)]);
    const bigPath = "/vmfs/volumes/datastore1/read test/pieces-flat.vmdk";
    const kind = { algorithm: "sha1", blockSizeBytes: block, digestLengthBytes: 20 } as const;
    const expected = (): string => {
      let hex = "";
      for (let at = 0; at < big.length; at += block) hex += createHash("sha1").update(big.subarray(at, Math.min(at + block, big.length))).digest("hex");
      return hex;
    };
    before(async () => writeFile(join(folder, "pieces-flat.vmdk"), big));

    const fingerprintInPieces = async (disk: EsxiDiskSource): Promise<{ pieces: { offsetBytes: number; lengthBytes: number }[]; hex: string }> => {
      const pieces: { offsetBytes: number; lengthBytes: number }[] = [];
      const found = await disk.fingerprint(kind, {
        signal: new AbortController().signal,
        onProgress: () => undefined,
        onPart: (part) => {
          pieces.push({ offsetBytes: part.offsetBytes, lengthBytes: part.lengthBytes });
          const first = part.offsetBytes / block;
          assert.equal(Buffer.from(part.digests).toString("hex"), expected().slice(first * 40, (first + part.zeroBlocks.length) * 40), "a piece's digests are its blocks'");
        },
      });
      return { pieces, hex: Buffer.from(found.fingerprints.digests).toString("hex") };
    };

    const coverOnce = (pieces: { offsetBytes: number; lengthBytes: number }[]): void => {
      let next = 0;
      for (const piece of [...pieces].sort((a, b) => a.offsetBytes - b.offsetBytes)) {
        assert.equal(piece.offsetBytes, next, "pieces cover the disk once, in whole blocks");
        next += piece.lengthBytes;
      }
      assert.equal(next, big.length);
    };

    it("one command's output is handed on in pieces of at least HASH_PIECE_LINES blocks before it ends", async () => {
      const disk = await source({ path: bigPath, sizeBytes: big.length, channels: 1 });
      // The host's output (about 64 KB) paced over about 2 s, as a disk's hashing spreads it: unpaced, it can
      // all be waiting in the stream by the time this process reads it, and then it is one piece by design.
      t.host.faults.throttleBytesPerSecond = 32 * KIB;
      let found;
      try {
        found = await fingerprintInPieces(disk);
      } finally {
        t.host.faults.throttleBytesPerSecond = null;
      }
      const { pieces, hex } = found;
      assert.equal(hex, expected());
      assert.ok(pieces.length >= 2, `${pieces.length} piece(s)`);
      for (const piece of pieces.slice(0, -1)) assert.ok(piece.lengthBytes >= HASH_PIECE_LINES * block, `a piece of ${piece.lengthBytes} bytes`);
      coverOnce(pieces);
    });

    it("under a host read limit: the pass is split into parts of about a second at the limit, and each part's bytes are taken before its command starts", async () => {
      const real = await t.open();
      let commands = 0;
      const session: EsxiDiskSourceOptions["session"] = {
        label: real.label,
        exec: (...args) => real.exec(...args),
        execStream: async (...args) => {
          commands += 1;
          return real.execStream(...args);
        },
      };
      const taken: { bytes: number; commandsBefore: number }[] = [];
      const hashLimiter = {
        bytesPerSecond: MIB,
        take: async (bytes: number): Promise<void> => {
          const commandsBefore = commands;
          // Held for a turn of the event loop: no command of this part may start meanwhile.
          await new Promise((resolve) => setImmediate(resolve));
          assert.equal(commands, commandsBefore, "a part's command waits for its bytes");
          taken.push({ bytes, commandsBefore });
        },
      };
      try {
        // One lane, so that the only command that could start while a part waits is that part's.
        const disk = await source({ session, path: bigPath, sizeBytes: big.length, channels: 1, limits: { hostRead: hashLimiter, signal: new AbortController().signal } });
        const { pieces, hex } = await fingerprintInPieces(disk);
        assert.equal(hex, expected());
        coverOnce(pieces);
        // 2,050 blocks of 4 KiB at 1 MiB/s: parts of at most 256 blocks, so 9 of them, one command each.
        assert.equal(taken.length, 9);
        assert.equal(commands, 9);
        assert.equal(taken.reduce((sum, take) => sum + take.bytes, 0), big.length, "every byte the host reads is taken once, zero blocks too");
        for (const [index, take] of taken.entries()) {
          assert.ok(take.bytes <= MIB, `a part of ${take.bytes} bytes`);
          assert.equal(take.commandsBefore, index, "taken before its own command, after the previous part's");
        }
      } finally {
        await real.close();
      }
    });

    it("a connection dropped while the host prints: the blocks not handed on yet are hashed again on a new connection", async () => {
      const retries: string[] = [];
      // Cut after the first thousand-odd lines (41 bytes each) have been sent; the reconnection is not cut.
      const session = await sessionCutAfter(56 * KIB);
      const disk = await source({ session, path: bigPath, sizeBytes: big.length, channels: 1, onRetry: (reason) => retries.push(reason) });
      const { pieces, hex } = await fingerprintInPieces(disk);
      assert.equal(hex, expected());
      assert.equal(retries.length, 1, retries.join("\n"));
      assert.equal(session.connectionCount, 2);
      coverOnce(pieces);
    });
  });
});
