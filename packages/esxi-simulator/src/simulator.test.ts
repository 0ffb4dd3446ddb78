/**
 * The whole simulator with the real host model behind the SSH server: what a client reads over OpenSSH
 * is exactly what the host's tools print.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { parseSimulatorConfig } from "./config/simulator-config.js";
import { startSimulator } from "./simulator.js";
import type { Simulator } from "./simulator.js";
import { OpenSshTestClient } from "./ssh/openssh-test-client.js";

const NAMES = ["plain", "with space", "brackets [prod] (1)", `quo"te's`, "dollar $HOME", "semi;colon && x", "ünïcødé ✓ 日本"];

describe("simulator with the host model, over OpenSSH", () => {
  const work = mkdtempSync(join(tmpdir(), "esxsim-model-"));
  const password = randomBytes(12).toString("base64url");
  let simulator: Simulator;
  let ssh: OpenSshTestClient;

  before(async () => {
    const config = parseSimulatorConfig(
      {
        hosts: [
          {
            name: "esx70",
            esxiVersion: "7.0",
            ssh: { port: 0, users: [{ name: "root", password }] },
            datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", capacityBytes: 1024 * 1024 * 1024 }],
            vms: NAMES.map((name, i) => ({
              name,
              annotation: i === 2 ? "two\nlines" : "",
              disks: [{ slot: "scsi0:0", sizeBytes: 1024 * 1024 }],
              workload: { writesPerSecond: 0 },
            })),
          },
        ],
      },
      "test",
    );
    simulator = await startSimulator(config, { stateDir: work, clock: systemClock });
    const host = simulator.host("esx70");
    ssh = new OpenSshTestClient({ port: host.port, user: "root", dir: work });
  });
  after(async () => {
    await simulator.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("prints vim-cmd vmsvc/getallvms byte for byte as the host's renderer does", async () => {
    const expected = await simulator.host("esx70").backend.tools.run({ tool: "vim-cmd", args: ["vmsvc/getallvms"], cwd: "/" });
    const result = await ssh.run("vim-cmd vmsvc/getallvms", { password });
    assert.equal(result.code, expected.exitCode, result.stderr);
    assert.equal(result.stderr, expected.stderr.toString());
    assert.ok(result.stdout.equals(expected.stdout), `got:\n${result.stdout.toString()}\nexpected:\n${expected.stdout.toString()}`);
    for (const name of NAMES) assert.ok(result.stdout.toString().includes(name), name);
  });

  it("shows the datastore at ESXi's paths", async () => {
    // busybox ls prints non-ASCII bytes as "?" in the C locale; the shell glob passes names through untouched.
    const result = await ssh.run(`cd /vmfs/volumes/datastore1 && for f in *; do echo "$f"; done`, { password });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.toString().split("\n").filter(Boolean).sort(), [...NAMES].sort());
  });
});
