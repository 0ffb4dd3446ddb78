/**
 * The places where a backup tool could pass against the simulator and fail on a real host (esxi-facts §0,
 * 1.3, 2.1, 4), checked through the real OpenSSH client against a running simulator with the real host
 * model: snapshot trees after remove/revert, quiesce, booleans, locked files, what may run, identity.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "@esxbackup/domain";
import { parseSimulatorConfig, type EsxiVersion, type SimulatorConfig } from "../config/simulator-config.js";
import type { HostModel } from "../host/host-model.js";
import { startSimulator, type Simulator } from "../simulator.js";
import { OpenSshTestClient, type SshResult } from "../ssh/openssh-test-client.js";
import { esxi8Session } from "./esxi8-ssh-client.js";

const MIB = 1024 * 1024;

function config(password: string, esxiVersion: EsxiVersion): SimulatorConfig {
  const vm = (name: string, vmid: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    vmid,
    guestId: "ubuntu64Guest",
    hardwareVersion: 7,
    disks: [{ slot: "scsi0:0", sizeBytes: 8 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }],
    workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: vmid },
    ...extra,
  });
  return parseSimulatorConfig(
    {
      hosts: [
        {
          name: `esx-${esxiVersion.replace(".", "")}.lab.example`,
          esxiVersion,
          ssh: { port: 0, users: [{ name: "root", password }] },
          datastores: [{ name: "datastore1", uuid: "5e0026d9-a647150e-d8a8-4cedfb76e9d5", vmfsVersion: 6, capacityBytes: 1024 * MIB }],
          vms: [vm("tree", 1), vm("running", 2, { powerState: "poweredOn", cbt: true }), vm(`quote "me"`, 3)],
        },
      ],
    },
    "host-fidelity-over-ssh.test",
  );
}

interface Host {
  simulator: Simulator;
  model: HostModel;
  clock: ManualClock;
  run(command: string): Promise<SshResult>;
  /** Runs `true` with extra ssh arguments and the password (no ESXi 8 algorithm restriction). */
  probe(args: string[]): Promise<SshResult>;
}

async function startHost(work: string, esxiVersion: EsxiVersion): Promise<Host> {
  const password = randomBytes(12).toString("base64url");
  const clock = new ManualClock(new Date("2026-10-04T19:00:52Z"));
  const simulator = await startSimulator(config(password, esxiVersion), { stateDir: join(work, esxiVersion), clock });
  const host = simulator.hosts[0];
  assert.ok(host?.model !== undefined);
  const client = new OpenSshTestClient({ port: host.port, user: "root", dir: join(work, esxiVersion) });
  const session = esxiVersion === "8.0" ? esxi8Session(password) : { password };
  // Probes force host-key algorithms: a known key of another type would count as a changed host key.
  const prober = new OpenSshTestClient({ port: host.port, user: "root", dir: join(work, `${esxiVersion}-probe`) });
  return { simulator, model: host.model, clock, run: (command) => client.run(command, session), probe: (args) => prober.run("true", { password, args }) };
}

async function out(host: Host, command: string): Promise<string> {
  const r = await host.run(command);
  assert.equal(r.stderr, "", `${command}: ${r.stderr}`);
  return r.stdout.toString("utf8");
}

describe("host fidelity over OpenSSH", () => {
  let work: string;
  let esx8: Host;
  let esx67: Host;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "esxsim-fidelity-"));
    esx8 = await startHost(work, "8.0");
    esx67 = await startHost(work, "6.7");
  });

  after(async () => {
    await esx8.simulator.stop();
    await esx67.simulator.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("snapshot.remove prints the remaining tree; removeChildren true takes the children too", async () => {
    for (const name of ["a", "b", "c", "d"]) assert.equal(await out(esx8, `vim-cmd vmsvc/snapshot.create 1 ${name} desc-${name} 0 0`), "Create Snapshot:\n");
    const removed = await out(esx8, "vim-cmd vmsvc/snapshot.remove 1 2");
    const tree = (await out(esx8, "vim-cmd vmsvc/snapshot.get 1")).replace(/^Get Snapshot:\n/u, "");
    assert.equal(removed, `Remove Snapshot:\n${tree}`);
    assert.deepEqual([...tree.matchAll(/Snapshot Name {8}: (\w)/gu)].map((m) => m[1]), ["a", "c", "d"]);
    // The chain left by the merge still links: each delta's parentCID is its parent's CID (esxi-facts 2.3).
    const descriptors = await out(esx8, `cd /vmfs/volumes/datastore1/tree && for f in tree.vmdk tree-0*[0-9].vmdk; do echo "== $f"; cat "$f"; done`);
    const byFile = new Map(descriptors.split(/^== /mu).filter((d) => d !== "").map((d) => [d.slice(0, d.indexOf("\n")), d]));
    const field = (text: string | undefined, key: string): string | undefined => new RegExp(`^${key}="?([^"\n]*)"?$`, "mu").exec(text ?? "")?.[1];
    assert.equal(byFile.size, 4, [...byFile.keys()].join(" "));
    for (const [file, text] of byFile) {
      if (file === "tree.vmdk") continue;
      const parent = byFile.get(field(text, "parentFileNameHint") ?? "");
      assert.ok(parent !== undefined, `${file}'s parent is in the folder`);
      assert.equal(field(text, "parentCID"), field(parent, "CID"), `${file}'s parentCID`);
    }
    // The disk uuid as hosts write it, `60 00 C2 …`, and as vim-cmd shows it, `6000C2xx-…` (2.3, 1.5).
    assert.match(byFile.get("tree.vmdk") ?? "", /^ddb\.uuid = "60 00 C2( [0-9a-f]{2}){5}-[0-9a-f]{2}( [0-9a-f]{2}){7}"$/mu);
    assert.match(await out(esx8, "vim-cmd vmsvc/device.getdevices 1"), /^ {12}uuid = "6000C2[0-9a-f]{2}-[0-9a-f]{4}-/mu);
    // `true` removes snapshot 3 ("c") and its child 4 ("d"); only "a" remains.
    const withChildren = await out(esx8, "vim-cmd vmsvc/snapshot.remove 1 3 true");
    assert.match(withChildren, /^Remove Snapshot:\n\|-ROOT\n--Snapshot Name {8}: a\n--Snapshot Id {8}: 1\n/u);
    assert.doesNotMatch(withChildren, /CHILD/u);
    assert.deepEqual(esx8.model.inventory()[0]?.snapshots.map((s) => s.name), ["a"]);
    const ls = await out(esx8, "ls /vmfs/volumes/datastore1/tree/");
    assert.match(ls, /tree-000001\.vmdk/u);
    assert.doesNotMatch(ls, /tree-00000[2-9]/u);
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.remove 1 1 false"), "Remove Snapshot:\n");
  });

  it("python reports the release's old version and refuses what it could not parse or import", async () => {
    assert.equal(await out(esx8, "python -V"), "Python 3.8.20\n");
    assert.equal(await out(esx67, "python3 --version"), "Python 3.5.10\n");
    assert.equal(await out(esx67, `python -c 'import sys; print(sys.version_info[:2], sys.version_info >= (3, 6), sys.argv[1:])' a`), "(3, 5) False ['a']\n");
    const fstring = await esx67.run(`python -c 'print(f"{1}")'`);
    assert.equal(fstring.code, 1);
    assert.match(fstring.stderr, /SyntaxError: Format strings are only supported in Python 3\.6 and greater/u);
    assert.equal(await out(esx8, `python -c 'print(f"{1}")'`), "1\n");
    const walrus = await esx8.run(`printf 'if (x := 1):\\n    print(x)\\n' > /tmp/w.py && python /tmp/w.py`);
    assert.equal(walrus.code, 0, walrus.stderr);
    const prod = await esx67.run(`python -c 'import math; math.prod([1])'`);
    assert.match(prod.stderr, /AttributeError: module 'math' has no attribute 'prod'/u);
    const dataclasses = await esx67.run(`echo 'import dataclasses' | python -`);
    assert.match(dataclasses.stderr, /ModuleNotFoundError: No module named 'dataclasses'/u);
  });

  it("a running VM's open files are regular files of their full size that cannot be opened (EBUSY)", async () => {
    const dir = "/vmfs/volumes/datastore1/running";
    const flat = `${dir}/running-flat.vmdk`;
    assert.equal(await out(esx8, `[ -f ${flat} ] && stat -c '%s %F' ${flat}`), `${8 * MIB} regular file\n`);
    const busy = await esx8.run(`cat ${flat} > /dev/null`);
    assert.equal(busy.code, 1);
    assert.equal(busy.stderr, `cat: can't open '${flat}': Device or resource busy\n`);
    const files = (await out(esx8, `cd ${dir} && find . -type f | sort`)).split("\n");
    for (const f of ["./running-flat.vmdk", "./running.vmx.lck", "./vmware.log"]) assert.ok(files.includes(f), `${f} in ${files.join(" ")}`);
    const swaps = files.filter((f) => f.endsWith(".vswp"));
    assert.equal(swaps.length, 2);
    assert.match(swaps.join(" "), /^\.\/running-[0-9a-f]{8}\.vswp \.\/vmx-running-\d+-1\.vswp$/u);
    // The .vmx names that swap file, and the host log shares its hex (esxi-facts 2.2: `test flo-988abbf8`).
    const vmx = await out(esx8, `cat ${dir}/running.vmx`);
    const hex = /^\.\/running-([0-9a-f]{8})\.vswp/u.exec(swaps[0] ?? "")?.[1] ?? "none";
    assert.match(vmx, new RegExp(`^sched\\.swap\\.derivedName = "/vmfs/volumes/[^"]*/running/running-${hex}\\.vswp"$`, "mu"));
    assert.match(vmx, new RegExp(`^migrate\\.hostlog = "\\./running-${hex}\\.hlog"$`, "mu"));
    assert.equal(await out(esx8, `stat -c %s ${dir}/${swaps[0]?.slice(2) ?? ""}`), `${1024 * MIB}\n`);
    for (const f of [...swaps, "./vmware.log", "./running.vmx.lck"]) {
      const r = await esx8.run(`cd ${dir} && cp ${f} /tmp/`);
      assert.equal(r.stderr, `cp: can't open '${f}': Device or resource busy\n`);
    }
    // With a snapshot the base is readable and the delta is the busy one, with its current size.
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.create 2 s1"), "Create Snapshot:\n");
    assert.equal((await esx8.run(`cat ${flat}`)).stdout.length, 8 * MIB);
    const delta = await esx8.run(`[ -f ${dir}/running-000001-sesparse.vmdk ] && cat ${dir}/running-000001-sesparse.vmdk`);
    assert.match(delta.stderr, /Device or resource busy/u);
    await esx8.model.workload(2).writeNow(3);
    const size = Number(await out(esx8, `stat -c %s ${dir}/running-000001-sesparse.vmdk`));
    assert.ok(size > 4096 + 3 * 65536, `the delta shows its current size (${size})`);
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.removeall 2"), "Remove All Snapshots:\n");
    // Powered off: swap files gone, the log readable.
    assert.equal(await out(esx8, "vim-cmd vmsvc/power.off 2"), "Powering off VM:\n");
    assert.equal(await out(esx8, `ls ${dir} | grep -c vswp || true`), "0\n");
    assert.match(await out(esx8, `cat ${dir}/vmware.log`), /Log for VMware ESX/u);
    assert.equal((await esx8.run(`cat ${flat}`)).stdout.length, 8 * MIB);
    assert.equal(await out(esx8, "vim-cmd vmsvc/power.on 2"), "Powering on VM:\n");
    assert.match((await esx8.run(`cat ${flat}`)).stderr, /Device or resource busy/u);
  });

  it("ESXi 8 runs nothing outside the installed files; scripts through the installed interpreters still run", async () => {
    // A binary copied anywhere writable (here busybox, named after the applet it should run).
    const copy = "cp /bin/busybox /tmp/echo && cp /bin/busybox /vmfs/volumes/datastore1/echo";
    for (const host of [esx8, esx67]) assert.equal((await host.run(copy)).code, 0);
    for (const path of ["/tmp/echo", "/vmfs/volumes/datastore1/echo"]) {
      const blocked = await esx8.run(`${path} ran`);
      assert.equal(blocked.code, 126, `${path} must not run on 8.0`);
      assert.match(blocked.stderr, /Permission denied/u);
      assert.equal(await out(esx67, `${path} ran`), "ran\n", `${path} runs on 6.7`);
    }
    assert.equal(await out(esx8, "printf 'echo script ran\\n' > /tmp/s.sh && chmod +x /tmp/s.sh && sh /tmp/s.sh"), "script ran\n");
    assert.equal((await esx8.run("/tmp/s.sh")).code, 126);
    assert.equal(await out(esx8, "printf 'print(6 * 7)\\n' > /tmp/p.py && python /tmp/p.py"), "42\n");
  });

  it("busybox links the release's applet list only, and ps -c shows command lines", async () => {
    assert.equal(await out(esx8, "for a in sha256sum md5sum tar wget dd; do command -v $a; done"), "/bin/sha256sum\n/bin/md5sum\n/bin/tar\n/bin/wget\n/bin/dd\n");
    const missing = await esx8.run("command -v xxd base64; xxd </dev/null");
    assert.equal(missing.stdout.toString(), "");
    assert.match(missing.stderr, /xxd: not found/u);
    // The background job is listed once it has become `sleep` (the loop waits for that exec, not for time);
    // /proc is the machine's, so the row is picked by its pid.
    const ps = await out(esx8, `sleep 31 & p=$!; until [ "$(cat /proc/$p/comm)" = sleep ]; do :; done; echo $p; ps -c | grep "^$p "; kill $p`);
    const [pid, row] = ps.split("\n");
    assert.match(row ?? "", new RegExp(`^${pid ?? ""} +${pid ?? ""} +sleep {16}sleep 31$`, "u"));
    assert.match(await out(esx8, "ps | head -1"), /^WID +CID +World Name\n$/u);
  });

  it("a quiesced snapshot of a running VM without guest tools fails; booleans may be words", async () => {
    const quiesced = await esx8.run("vim-cmd vmsvc/snapshot.create 2 q q 0 1");
    assert.equal(quiesced.code, 1);
    assert.equal(
      quiesced.stdout.toString(),
      "Create Snapshot:\n(vim.fault.ToolsUnavailable) {\n   faultCause = (vmodl.MethodFault) null, \n   faultMessage = <unset>\n   msg = \"Cannot complete operation because VMware Tools is not running in this virtual machine.\"\n}\n",
    );
    assert.equal((await esx8.run("vim-cmd vmsvc/snapshot.create 2 q q false True")).code, 1, "True is quiesce too");
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.get 2"), "Get Snapshot:\n");
    // Not quiesced, in words: fine. A powered-off VM has nothing to quiesce.
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.create 2 w w false FALSE"), "Create Snapshot:\n");
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.create 3 off off 0 1"), "Create Snapshot:\n");
    const bad = await esx8.run("vim-cmd vmsvc/snapshot.create 3 x x 0 maybe");
    assert.match(bad.stdout.toString(), /Usage: snapshot\.create vmid/u);
    assert.deepEqual(esx8.model.inventory().find((v) => v.vmid === 3)?.snapshots.map((x) => x.name), ["off"]);
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.removeall 2 && vim-cmd vmsvc/snapshot.removeall 3"), "Remove All Snapshots:\nRemove All Snapshots:\n");
  });

  it("SSH: no ssh-rsa host-key algorithm on 8.0 (6.7 keeps it), no strict KEX on banners before OpenSSH 9.6", async () => {
    const rsa8 = await esx8.probe(["-o", "LogLevel=INFO", "-o", "HostKeyAlgorithms=ssh-rsa"]);
    assert.equal(rsa8.code, 255);
    assert.match(rsa8.stderr, /no matching host key type found\. Their offer: (.*)/u);
    assert.doesNotMatch(/Their offer: (.*)/u.exec(rsa8.stderr)?.[1] ?? "", /(^|,)ssh-rsa(,|$)/u);
    const rsa67 = await esx67.probe(["-o", "LogLevel=INFO", "-o", "HostKeyAlgorithms=ssh-rsa"]);
    assert.equal(rsa67.code, 0, `6.7 with ssh-rsa: ${rsa67.stderr}`);
    for (const host of [esx8, esx67]) {
      const debug = await host.probe(["-o", "LogLevel=DEBUG2"]);
      assert.equal(debug.code, 0, debug.stderr);
      const peer = /peer server KEXINIT proposal\r?\ndebug2: KEX algorithms: (.*)/u.exec(debug.stderr)?.[1];
      assert.ok(peer !== undefined, "the client logged the server's KEX list");
      assert.ok(peer.includes("ecdh-sha2-nistp256"));
      assert.ok(!peer.includes("kex-strict-s-v00@openssh.com"), `strict KEX offered: ${peer}`);
    }
  });

  it("identity: host name, uname, prompt, vmware -vl, esxcli hostname, hardware versions, guest ids", async () => {
    assert.equal(await out(esx8, "hostname"), "esx-80.lab.example\n");
    assert.equal(await out(esx8, "uname"), "VMkernel\n");
    assert.equal(await out(esx8, "uname -a"), "VMkernel esx-80.lab.example 8.0.1 #1 SMP Release build-21495797 Mar 21 2023 02:39:10 x86_64 x86_64 x86_64 ESXi\n");
    assert.equal(await out(esx67, "uname -r"), "6.7.0\n");
    assert.equal(await out(esx8, '. /etc/profile && echo "$PS1"'), "[\\u@esx-80:\\w] \n");
    assert.equal(await out(esx8, "vmware -vl"), "VMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n");
    assert.equal(await out(esx8, "esxcli system hostname get"), "   Domain Name: lab.example\n   Fully Qualified Domain Name: esx-80.lab.example\n   Host Name: esx-80\n");
    const all = await out(esx8, "vim-cmd vmsvc/getallvms");
    assert.match(all, /\[datastore1\] tree\/tree\.vmx +ubuntu64Guest +vmx-07 /u);
    assert.match(await out(esx8, "vim-cmd vmsvc/get.config 1"), /version = "vmx-07"/u);
    assert.match(await out(esx8, "vim-cmd vmsvc/get.summary 1"), /hwVersion = "vmx-07"|version = "vmx-07"/u);
    const vmx = await out(esx8, "cat /vmfs/volumes/datastore1/tree/tree.vmx");
    assert.match(vmx, /^guestOS = "ubuntu-64"$/mu);
    assert.match(vmx, /^virtualHW\.version = "7"$/mu);
  });

  it("CBT changeId is <uuid>/<seq> and moves with writes; contentIds differ along a chain; .vmsd names are escaped", async () => {
    const ids = async (): Promise<{ change: string[]; content: string[] }> => {
      const dev = await out(esx8, "vim-cmd vmsvc/device.getdevices 2");
      return { change: [...dev.matchAll(/changeId = "([^"]*)"/gu)].map((m) => m[1] ?? ""), content: [...dev.matchAll(/contentId = "([^"]*)"/gu)].map((m) => m[1] ?? "") };
    };
    assert.equal(await out(esx8, `vim-cmd vmsvc/snapshot.create 2 'cbt "one"' 'say "hi"'`), "Create Snapshot:\n");
    const before = await ids();
    assert.equal(before.change.length, 2, "the delta and its parent");
    for (const c of before.change) assert.match(c, /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/\d+$/u);
    assert.equal(new Set(before.change.map((c) => c.split("/")[0])).size, 1, "one tracking epoch per disk");
    assert.equal(new Set(before.content).size, 2, "contentIds differ along the chain");
    await esx8.model.workload(2).writeNow(4);
    const after = await ids();
    const seq = (c: string | undefined): number => Number(c?.split("/")[1]);
    assert.equal(seq(after.change[0]), seq(before.change[0]) + 4, "the top's sequence counts the writes");
    assert.equal(after.change[1], before.change[1], "the frozen parent keeps its changeId");
    assert.notEqual(after.content[0], before.content[0]);
    assert.equal(after.content[1], before.content[1]);
    assert.match(await out(esx8, "cat /vmfs/volumes/datastore1/running/running.vmsd"), /displayName = "cbt \|22one\|22"\n.*description = "say \|22hi\|22"/su);
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.removeall 2"), "Remove All Snapshots:\n");
  });

  it("df shows a datastore's configured size, and no space left when it is full", async () => {
    const df = (await out(esx8, "df /vmfs/volumes/datastore1/tree")).split("\n");
    assert.match(df[0] ?? "", /^Filesystem +Bytes +Used +Available +Use% Mounted on$/u);
    const [type, bytes, used, avail, pct, mount] = (df[1] ?? "").split(/ +/u);
    assert.deepEqual([type, bytes, mount], ["VMFS-6", String(1024 * MIB), "/vmfs/volumes/datastore1"]);
    assert.equal(Number(used) + Number(avail), 1024 * MIB);
    assert.ok(Number(avail) > 0 && pct !== "100%");
    esx8.model.faults.setDatastoreFull("datastore1", true);
    try {
      const full = (await out(esx8, "df -h /vmfs/volumes/datastore1")).split("\n")[1] ?? "";
      assert.match(full, /^VMFS-6 +1\.0G +1\.0G +0 +100% \/vmfs\/volumes\/datastore1$/u);
    } finally {
      esx8.model.faults.setDatastoreFull("datastore1", false);
    }
  });

  it("snapshot.revert goes back to the newest snapshot and prints the tree", async () => {
    const flat = "/vmfs/volumes/datastore1/running/running-flat.vmdk";
    const w = esx8.model.workload(2);
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.create 2 r1 '' 0 0"), "Create Snapshot:\n");
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.create 2 r2 '' 0 0"), "Create Snapshot:\n");
    const frozen = (await esx8.run(`cat ${flat}`)).stdout;
    await w.writeNow(5);
    const tree = (await out(esx8, "vim-cmd vmsvc/snapshot.get 2")).replace(/^Get Snapshot:\n/u, "");
    const older = await esx8.run("vim-cmd vmsvc/snapshot.revert 2 " + String(esx8.model.inventory().find((v) => v.vmid === 2)?.snapshots[0]?.uid ?? 0) + " 0");
    assert.match(older.stdout.toString(), /NotSupported/u, "a revert that would branch the tree is refused");
    const newest = esx8.model.inventory().find((v) => v.vmid === 2)?.snapshots[1]?.uid ?? 0;
    assert.equal(await out(esx8, `vim-cmd vmsvc/snapshot.revert 2 ${newest} 0`), `Revert Snapshot:\n${tree}`);
    assert.equal(await out(esx8, "vim-cmd vmsvc/power.getstate 2"), "Retrieved runtime info\nPowered off\n");
    assert.equal(await out(esx8, "vim-cmd vmsvc/snapshot.removeall 2"), "Remove All Snapshots:\n");
    const after = (await esx8.run(`cat ${flat}`)).stdout;
    assert.ok(after.equals(frozen), "the writes after the snapshot are gone");
    assert.equal(await out(esx8, "vim-cmd vmsvc/power.on 2"), "Powering on VM:\n");
  });
});
