// The host flat-file writer over real SSH to a simulated host, through a relay the test cuts: a connection
// lost after every write was acknowledged but before the writers' final fsync is survived at close (a new
// writer with no frames does the fsync), and a write refused by the host is never tried again.
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { CuttableRelay } from "../esxi/testing/cuttable-relay.js";
import { startTestHost, type TestHost } from "../esxi/testing/simulated-esxi-host.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { HostWriteError, MAX_ZERO_PIECE_BYTES, openFlatFileWriter, zeroPieces } from "./host-flat-writer.js";

const MIB = 1024 * 1024;
const FOLDER = "/vmfs/volumes/datastore1/writer";
const FLAT = `${FOLDER}/w-flat.vmdk`;

it("a zero run is asked of the host in pieces, so each is acknowledged well within the channel's idle timeout", () => {
  const GIB = 1024 * MIB;
  assert.equal(MAX_ZERO_PIECE_BYTES, 256 * MIB);
  const cases: [number, number, [number, number][]][] = [
    [0, MIB, [[0, MIB]]],
    [4 * MIB, 256 * MIB, [[4 * MIB, 256 * MIB]]],
    [4 * MIB, 256 * MIB + 64 * 1024, [[4 * MIB, 256 * MIB], [260 * MIB, 64 * 1024]]],
    [64 * 1024, GIB, [[64 * 1024, 256 * MIB], [64 * 1024 + 256 * MIB, 256 * MIB], [64 * 1024 + 512 * MIB, 256 * MIB], [64 * 1024 + 768 * MIB, 256 * MIB]]],
    [0, 0, []],
  ];
  for (const [offset, length, expected] of cases) {
    assert.deepEqual(zeroPieces(offset, length).map((piece) => [piece.offsetBytes, piece.lengthBytes]), expected, `${offset}+${length}`);
  }
  // A 2 TiB run of a large disk: pieces of 256 MiB, contiguous, covering it exactly.
  const pieces = zeroPieces(0, 2048 * GIB);
  assert.equal(pieces.length, 8192);
  assert.ok(pieces.every((piece, i) => piece.offsetBytes === i * 256 * MIB && piece.lengthBytes === 256 * MIB));
});

describe("openFlatFileWriter (Python) over a connection that drops", () => {
  let test: TestHost;
  let relay: CuttableRelay;

  before(async () => {
    test = await startTestHost({ esxiVersion: "8.0" });
    relay = new CuttableRelay(test.host.port);
    const session = await test.open();
    await session.exec(sh`mkdir -- ${FOLDER}`);
    await session.exec(sh`vmkfstools -c ${4 * MIB} -d thin ${`${FOLDER}/w.vmdk`}`);
  });
  after(async () => {
    await relay.close();
    await test.stop();
  });

  it("a connection lost after the last acknowledgement: close flushes through a new writer", async () => {
    const session = await test.open({ target: { host: "127.0.0.1", port: await relay.listen(), user: "root", password: test.password, esxiVersion: "8.0" }, reconnectDelayMs: () => 0 });
    const retries: string[] = [];
    const writer = await openFlatFileWriter({ session, path: FLAT, method: { kind: "python", interpreter: "python3" }, channels: 2, blockBytes: 64 * 1024, signal: new AbortController().signal, onRetry: (r) => retries.push(r) });
    await Promise.all([writer.write(0, 0, Buffer.alloc(MIB, 0xaa)), writer.write(1, 2 * MIB, Buffer.alloc(MIB, 0xbb))]);
    relay.cut();
    await writer.close();
    assert.deepEqual(retries, [`the final flush of ${FLAT}: connection lost, sending again (try 2 of 3)`]);
    assert.equal(session.connectionCount, 2);
    const flat = (await session.exec(sh`cat ${FLAT}`, { retryOnConnectionLost: true })).stdout;
    assert.ok(flat.equals(Buffer.concat([Buffer.alloc(MIB, 0xaa), Buffer.alloc(MIB), Buffer.alloc(MIB, 0xbb), Buffer.alloc(MIB)])));
  });

  it("a frame the host refuses (past the end of the file) fails at once, with the writer's reason, never sent again", async () => {
    const session = await test.open();
    const retries: string[] = [];
    const writer = await openFlatFileWriter({ session, path: FLAT, method: { kind: "python", interpreter: "python3" }, channels: 1, blockBytes: 64 * 1024, signal: new AbortController().signal, onRetry: (r) => retries.push(r) });
    await assert.rejects(writer.write(0, 4 * MIB, Buffer.alloc(MIB)), (error: unknown) => {
      assert.ok(error instanceof HostWriteError, String(error));
      assert.equal(error.message, `writing ${FLAT} on the host: esxbackup-write: frame at ${4 * MIB}+${MIB} is past the end of the ${4 * MIB}-byte file`);
      return true;
    });
    await writer.abandon();
    assert.deepEqual(retries, []);
  });
});
