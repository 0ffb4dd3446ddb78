/**
 * The fingerprinting commands run on simulated 6.7, 7.0 and 8.0 hosts through the real OpenSSH client, on
 * files whose names hold every shell metacharacter, and their parsed output equals digests computed here
 * with node:crypto. 6.7 runs the script under its Python 3.5 rules; 8.0 under execInstalledOnly.
 */
import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FingerprintAlgorithm } from "@esxbackup/domain";
import { ManualClock } from "@esxbackup/domain";
import { OpenSshTestClient, checkHostPythonScript, parseSimulatorConfig, startSimulator } from "@esxbackup/esxi-simulator";
import type { EsxiVersion, SimulatedHost, Simulator, SshResult } from "@esxbackup/esxi-simulator";
import { pythonBlockHashCommand, shellBlockHashCommand } from "./block-hash-command.js";
import type { HostCommand } from "./block-hash-command.js";
import { BLOCK_HASH_PYTHON_SCRIPT } from "./block-hash-python-script.js";
import type { BlockHashRequest } from "./block-hash-request.js";
import { chooseHashingMethod } from "./hashing-method.js";
import { parseBlockHashOutput } from "./parse-block-hash-output.js";
import { sh } from "../ssh/shell-command.js";
import type { ShellCommand } from "../ssh/shell-command.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const VMID = 7;
const VM_NAME = `q"uote's $HOME; echo pwned [x] é`;
const BLOCK = 4 * KIB;
const VERSIONS: EsxiVersion[] = ["6.7", "7.0", "8.0"];
const DATASTORE_UUID = "5e0026d9-a647150e-d8a8-4cedfb76e9d5";
/** Spaces, both quotes, `$`, `;`, backticks, brackets, a newline, a glob and non-ASCII in one name. */
const AWKWARD = "it's \"a\" $HOME; `id` [1] *\nnext line é ü 日本-flat.vmdk";

/** 7 whole blocks and a 1000-byte tail: data, zero, data, zero, zero, one non-zero byte, data; tail data. */
function content(): Buffer {
  const blocks = [randomBytes(BLOCK), Buffer.alloc(BLOCK), randomBytes(BLOCK), Buffer.alloc(BLOCK), Buffer.alloc(BLOCK), Buffer.alloc(BLOCK), randomBytes(BLOCK)];
  blocks[5]?.writeUInt8(1, BLOCK - 1);
  return Buffer.concat([...blocks, randomBytes(1000)]);
}

function expected(bytes: Buffer, algorithm: FingerprintAlgorithm, offsetBytes: number, lengthBytes: number, blockBytes = BLOCK): { hex: string; zero: number[] } {
  let hex = "";
  const zero: number[] = [];
  for (let at = offsetBytes; at < offsetBytes + lengthBytes; at += blockBytes) {
    const block = bytes.subarray(at, Math.min(at + blockBytes, offsetBytes + lengthBytes));
    hex += createHash(algorithm).update(block).digest("hex");
    zero.push(block.every((byte) => byte === 0) ? 1 : 0);
  }
  return { hex, zero };
}

function expectedOf(bytes: Buffer, algorithm: FingerprintAlgorithm, blockBytes: number): { hex: string; zero: number[] } {
  return expected(bytes, algorithm, 0, bytes.length, blockBytes);
}

describe("block hashing on simulated hosts over OpenSSH", () => {
  let work: string;
  let simulator: Simulator;
  const data = content();
  const clients = new Map<EsxiVersion, { host: SimulatedHost; run(command: HostCommand): Promise<SshResult> }>();
  const path = `/vmfs/volumes/datastore1/hash test/${AWKWARD}`;
  let runBare: (command: HostCommand) => Promise<SshResult>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "block-hash-"));
    const password = randomBytes(12).toString("base64url");
    const hosts = VERSIONS.map((esxiVersion, index) => ({
      name: `esx-${index}.lab.example`,
      esxiVersion,
      ssh: { port: 0, users: [{ name: "root", password }] },
      datastores: [{ name: "datastore1", uuid: DATASTORE_UUID, vmfsVersion: 6, capacityBytes: 256 * MIB }],
      vms: [
        {
          name: VM_NAME,
          vmid: VMID,
          guestId: "ubuntu64Guest",
          hardwareVersion: 14,
          powerState: "poweredOn",
          disks: [{ slot: "scsi0:0", sizeBytes: 12 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 4 * MIB }] }],
          // Writes into data and holes; 8–12 MiB stays zero, so zero blocks show up at every block size.
          workload: { writesPerSecond: 200, writeSizeBytes: 65536, seed: 11, hotSet: { "scsi0:0": [{ offsetBytes: 0, lengthBytes: 8 * MIB }] } },
        },
      ],
    }));
    // A fourth host as bare as a host can be: no Python, no md5sum.
    const bare = { name: "esx-bare.lab.example", esxiVersion: "7.0", ssh: { port: 0, users: [{ name: "root", password }] }, shell: { python: false, disabledApplets: ["md5sum"] }, datastores: hosts[0]?.datastores };
    simulator = await startSimulator(parseSimulatorConfig({ hosts: [...hosts, bare] }, "block-hash-over-ssh.test"), { stateDir: work, clock: new ManualClock(new Date("2026-12-01T07:00:00Z")) });
    for (const [index, version] of VERSIONS.entries()) {
      const host = simulator.hosts[index];
      assert.ok(host !== undefined);
      const folder = join(host.rootDir, "vmfs", "volumes", DATASTORE_UUID, "hash test");
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, AWKWARD), data);
      const client = new OpenSshTestClient({ port: host.port, user: "root", dir: join(work, `client-${version}`) });
      await mkdir(join(work, `client-${version}`), { recursive: true });
      clients.set(version, { host, run: (command) => client.run(command.command.text, { password, stdin: command.stdin }) });
    }
    const bareHost = simulator.hosts[VERSIONS.length];
    assert.ok(bareHost !== undefined);
    const bareFolder = join(bareHost.rootDir, "vmfs", "volumes", DATASTORE_UUID, "hash test");
    await mkdir(bareFolder, { recursive: true });
    await writeFile(join(bareFolder, AWKWARD), data);
    await mkdir(join(work, "client-bare"), { recursive: true });
    const bareClient = new OpenSshTestClient({ port: bareHost.port, user: "root", dir: join(work, "client-bare") });
    runBare = (command) => bareClient.run(command.command.text, { password, stdin: command.stdin });
  });

  after(async () => {
    await simulator.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("the script is valid for the oldest host Python (6.7's 3.5) and every later one", async () => {
    for (const version of VERSIONS) assert.deepEqual(await checkHostPythonScript(BLOCK_HASH_PYTHON_SCRIPT, version), [], version);
    // The check does find what 3.5 lacks, so an empty answer means something.
    const withFString = BLOCK_HASH_PYTHON_SCRIPT.replace(`"esxbackup-hash: " + message`, `f"esxbackup-hash: {message}"`);
    assert.notEqual(withFString, BLOCK_HASH_PYTHON_SCRIPT);
    assert.equal((await checkHostPythonScript(withFString, "6.7"))[0]?.kind, "syntax");
  });

  for (const version of VERSIONS) {
    for (const method of ["python", "busybox"] as const) {
      it(`${version} ${method}: digests and zero blocks of a whole file and of a range equal node:crypto's`, async () => {
        const client = clients.get(version);
        assert.ok(client !== undefined);
        const cases: [FingerprintAlgorithm, number, number][] = [
          ["md5", 0, data.length],
          ["sha1", 2 * BLOCK, 3 * BLOCK],
          ["sha256", 5 * BLOCK, data.length - 5 * BLOCK],
        ];
        for (const [algorithm, offsetBytes, lengthBytes] of cases) {
          const request: BlockHashRequest = { path, algorithm, blockSizeBytes: BLOCK, offsetBytes, lengthBytes };
          const command = method === "python" ? pythonBlockHashCommand(request, "python3") : shellBlockHashCommand(request);
          const result = await client.run(command);
          assert.equal(result.stderr, "", `${algorithm}: ${result.stderr}`);
          assert.equal(result.code, 0);
          const parsed = parseBlockHashOutput(result.stdout.toString("utf8"), request);
          const want = expected(data, algorithm, offsetBytes, lengthBytes);
          assert.equal(parsed.digests.toString("hex"), want.hex, `${algorithm} ${offsetBytes}+${lengthBytes}`);
          assert.deepEqual([...parsed.zeroBlocks], want.zero);
          assert.ok(want.zero.includes(1) || offsetBytes === 5 * BLOCK, "the cases cover zero blocks");
        }
      });
    }
  }

  for (const version of VERSIONS) {
    it(`${version}: the frozen base of a running VM under a snapshot hashes to its point-in-time content while the guest writes`, async () => {
      const client = clients.get(version);
      assert.ok(client !== undefined);
      const model = client.host.model;
      assert.ok(model !== undefined);
      const workload = model.workload(VMID);
      await workload.waitForWrites(workload.writes + 3);
      const created = await client.run({ command: sh`vim-cmd vmsvc/snapshot.create ${VMID} ${"esxbackup hash test"} x 0 0`, stdin: Buffer.alloc(0) });
      assert.equal(created.code, 0, created.stderr);
      try {
        const record = model.pointInTimeRecords(VMID).at(-1);
        const pit = record?.disks[0];
        assert.ok(record !== undefined && pit?.image !== undefined);
        // The guest has written into the delta since: the base must still hash to the snapshot's content.
        await workload.waitForWrites(record.writesBefore + 5);
        const flat = `/vmfs/volumes/datastore1/${VM_NAME}/${VM_NAME}-flat.vmdk`;
        const whole = { path: flat, offsetBytes: 0, lengthBytes: pit.sizeBytes };
        const perMib = parseBlockHashOutput(
          (await client.run(pythonBlockHashCommand({ ...whole, algorithm: "sha256", blockSizeBytes: MIB }, "python3"))).stdout.toString("utf8"),
          { ...whole, algorithm: "sha256", blockSizeBytes: MIB },
        );
        assert.equal(perMib.digests.toString("hex"), pit.chunkSha256.join(""));
        assert.deepEqual([...perMib.zeroBlocks], expectedOf(pit.image, "sha256", MIB).zero);
        assert.deepEqual([...perMib.zeroBlocks.subarray(8)], [1, 1, 1, 1], "the workload never writes past 8 MiB");
        const request: BlockHashRequest = { ...whole, algorithm: "sha1", blockSizeBytes: 64 * KIB };
        const result = await client.run(pythonBlockHashCommand(request, "python3"));
        assert.equal(result.stderr, "");
        const parsed = parseBlockHashOutput(result.stdout.toString("utf8"), request);
        const want = expectedOf(pit.image, "sha1", 64 * KIB);
        assert.equal(parsed.digests.toString("hex"), want.hex);
        assert.deepEqual([...parsed.zeroBlocks], want.zero);
        assert.ok(want.zero.includes(1) && want.zero.includes(0));
      } finally {
        const removed = await client.run({ command: sh`vim-cmd vmsvc/snapshot.removeall ${VMID}`, stdin: Buffer.alloc(0) });
        assert.equal(removed.code, 0, removed.stderr);
      }
    });
  }

  it("the disk a running VM writes (no snapshot) cannot be hashed: both methods fail and print no digest", async () => {
    const client = clients.get("8.0");
    assert.ok(client !== undefined);
    const request: BlockHashRequest = { path: `/vmfs/volumes/datastore1/${VM_NAME}/${VM_NAME}-flat.vmdk`, algorithm: "md5", blockSizeBytes: 64 * KIB, offsetBytes: 0, lengthBytes: 12 * MIB };
    const python = await client.run(pythonBlockHashCommand(request, "python3"));
    assert.equal(python.code, 2);
    assert.match(python.stderr, /^esxbackup-hash: cannot open /u);
    const shell = await client.run(shellBlockHashCommand(request));
    assert.equal(shell.code, 3);
    assert.match(shell.stderr, /^esxbackup-hash: the file ends before byte 12582911 \(or cannot be read\)/u);
    assert.equal(python.stdout.length + shell.stdout.length, 0);
  });

  it("a host without Python or md5sum: the probe's findings choose busybox sha1sum, whose digests are right", async () => {
    const shell = (command: ShellCommand): Promise<SshResult> => runBare({ command, stdin: Buffer.alloc(0) });
    const applets = ["sh", "dd", "wc", "md5sum", "sha1sum", "sha256sum"];
    const found = await Promise.all(applets.map(async (applet) => ((await shell(sh`command -v ${applet}`)).code === 0 ? [applet] : [])));
    const pythonProbe = await shell(sh`python3 -V`);
    assert.notEqual(pythonProbe.code, 0, "no Python on this host");
    const method = chooseHashingMethod({ applets: found.flat() }, "md5");
    assert.deepEqual(method, { kind: "busybox", algorithm: "sha1" });
    const request: BlockHashRequest = { path, algorithm: method.kind === "busybox" ? method.algorithm : "md5", blockSizeBytes: BLOCK, offsetBytes: 0, lengthBytes: data.length };
    const result = await runBare(shellBlockHashCommand(request));
    assert.equal(result.code, 0, result.stderr);
    const parsed = parseBlockHashOutput(result.stdout.toString("utf8"), request);
    const want = expected(data, "sha1", 0, data.length);
    assert.equal(parsed.digests.toString("hex"), want.hex);
    assert.deepEqual([...parsed.zeroBlocks], want.zero);
    // And md5sum is really gone: the md5 loop fails instead of printing digests.
    const md5 = await runBare(shellBlockHashCommand({ ...request, algorithm: "md5" }));
    assert.notEqual(md5.code, 0);
  });

  it("a range past the end of the file fails with status 3 and prints no digest (both methods)", async () => {
    const client = clients.get("8.0");
    assert.ok(client !== undefined);
    const request: BlockHashRequest = { path, algorithm: "md5", blockSizeBytes: BLOCK, offsetBytes: 4 * BLOCK, lengthBytes: data.length };
    for (const command of [pythonBlockHashCommand(request, "python3"), shellBlockHashCommand(request)]) {
      const result = await client.run(command);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /^esxbackup-hash: the file ends before byte /u);
      assert.equal(result.stdout.length, 0);
    }
  });

  it("a missing file fails with status 2 naming it", async () => {
    const client = clients.get("6.7");
    assert.ok(client !== undefined);
    const request: BlockHashRequest = { path: `${path}.missing`, algorithm: "md5", blockSizeBytes: BLOCK, offsetBytes: 0, lengthBytes: BLOCK };
    for (const command of [pythonBlockHashCommand(request, "python3"), shellBlockHashCommand(request)]) {
      const result = await client.run(command);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^esxbackup-hash: cannot open .*\.missing/su);
    }
  });
});
