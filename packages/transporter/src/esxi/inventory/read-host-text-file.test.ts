/**
 * Reading a VM's small files over real SSH from a simulated host whose busybox has no `head` (which applets
 * ESXi's busybox has is not known, esxi-facts 4): the inventory is read all the same; a file of exactly the
 * limit is read whole, one byte more is refused as too large (a disk's data extent named as a descriptor is
 * refused, its read stopped at the limit: what crossed the wire is counted); a missing file fails with the
 * host's words.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SshCommandFailedError } from "../ssh/esxi-ssh-errors.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { startTestHost, type TestHost } from "../testing/simulated-esxi-host.js";
import { listHostVms } from "./list-host-vms.js";
import { HostFileTooLargeError, MAX_HOST_TEXT_FILE_BYTES, readHostFileBytes } from "./read-host-text-file.js";
import { readVmInventory } from "./read-vm-inventory.js";

const MIB = 1024 * 1024;
const DS = "/vmfs/volumes/datastore1";

describe("host files read from a simulated ESXi 8.0 host without `head`", () => {
  let host: TestHost;
  let session: EsxiSshSession;

  before(async () => {
    host = await startTestHost({
      esxiVersion: "8.0",
      shell: { disabledApplets: ["head"] },
      vms: [
        {
          name: "web01",
          vmid: 1,
          powerState: "poweredOff",
          disks: [{ slot: "scsi0:0", sizeBytes: 2 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: 2 * MIB }] }],
          workload: { writesPerSecond: 0, writeSizeBytes: 65536, seed: 1 },
        },
      ],
    });
    session = await host.open();
    const headless = await session.exec(sh`head -c 1 ${`${DS}/web01/web01.vmx`}`, { check: false });
    assert.notEqual(headless.exitCode, 0, "the host has no head");
  });
  after(async () => host?.stop());

  it("reads a VM's .vmx and descriptors", async () => {
    const row = (await listHostVms(session)).vms.find((vm) => vm.name === "web01");
    assert.ok(row !== undefined);
    const vm = await readVmInventory(session, row);
    assert.equal(vm.disks.length, 1);
    assert.equal(vm.disks[0]?.capacityBytes, 2 * MIB);
  });

  it("reads a file of exactly the limit whole and refuses one byte more, naming the file", async () => {
    const path = `${DS}/web01/web01-flat.vmdk`;
    const whole = await readHostFileBytes(session, path, "a test file", { maxBytes: 2 * MIB });
    assert.equal(whole.length, 2 * MIB);
    const copy = await session.exec(sh`cat -- ${path}`);
    assert.ok(whole.equals(copy.stdout));
    await assert.rejects(readHostFileBytes(session, path, "a test file", { maxBytes: 2 * MIB - 1 }), (error: unknown) => error instanceof HostFileTooLargeError && error.message.includes(path) && error.firstBytes.equals(whole.subarray(0, 512)));
  });

  it("refuses a disk's data extent named where a descriptor belongs, at the default limit, without pulling it whole, and the session goes on", async () => {
    const path = `${DS}/web01/big-flat.vmdk`;
    await session.exec(sh`dd if=/dev/zero of=${path} bs=1048576 count=32`);
    const sentBefore = host.host.sshWireBytes.sentBytes;
    await assert.rejects(readHostFileBytes(session, path, "the base descriptor of scsi0:0"), (error: unknown) => error instanceof HostFileTooLargeError && error.message.includes(`larger than ${MAX_HOST_TEXT_FILE_BYTES} bytes`));
    assert.equal((await session.exec(sh`echo still here`)).stdout.toString(), "still here\n");
    // The limit and what the channel's window let through meanwhile, not the file's 32 MiB.
    const sent = host.host.sshWireBytes.sentBytes - sentBefore;
    assert.ok(sent < 8 * MIB, `${sent} bytes sent for a read stopped after ${MAX_HOST_TEXT_FILE_BYTES + 1}`);
  });

  it("a missing file fails with the host's words", async () => {
    await assert.rejects(readHostFileBytes(session, `${DS}/web01/nope.vmx`, "the .vmx"), (error: unknown) => error instanceof SshCommandFailedError && /nope\.vmx/u.test(error.message));
  });
});
