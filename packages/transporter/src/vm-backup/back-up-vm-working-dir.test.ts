/**
 * A running VM whose `.vmx` sets `workingDir` on another datastore: its run snapshot's deltas grow there
 * (Broadcom KB 420124), so that datastore's free space is checked before the snapshot, as the VM's own is.
 */
import { strict as assert } from "node:assert";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { systemClock } from "@esxbackup/domain";
import { LocalDirectoryBlobStore, Repository } from "@esxbackup/repository";
import type { HostModel } from "@esxbackup/esxi-simulator";
import { probeHostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { HostCapabilities } from "../esxi/probe/host-capabilities.js";
import type { EsxiSshSession } from "../esxi/ssh/esxi-ssh-session.js";
import { sh } from "../esxi/ssh/shell-command.js";
import { startTestHost } from "../esxi/testing/simulated-esxi-host.js";
import type { TestHost } from "../esxi/testing/simulated-esxi-host.js";
import { silentProgress } from "../progress/progress-reporter.js";
import { backUpVm } from "./back-up-vm.js";
import { DatastoreSpaceRefusedError } from "./vm-backup-errors.js";

const MIB = 1024 * 1024;

describe("backUpVm of a VM whose workingDir is on another datastore", () => {
  let t: TestHost;
  let session: EsxiSshSession;
  let capabilities: HostCapabilities;
  let work: string;
  let repository: Repository;
  let model: HostModel;

  before(async () => {
    t = await startTestHost({
      esxiVersion: "8.0",
      moreDatastores: [{ name: "snaps", uuid: "6a91690d-eac44959-2d46-001b21e7d76e", capacityBytes: 256 * MIB }],
      vms: [{ name: "db", vmid: 1, guestId: "ubuntu64Guest", hardwareVersion: 19, powerState: "poweredOn", disks: [{ slot: "scsi0:0", sizeBytes: 4 * MIB, provisioning: "thin", dataRegions: [{ offsetBytes: 0, lengthBytes: MIB }] }] }],
    });
    session = await t.open();
    capabilities = await probeHostCapabilities(session);
    work = await mkdtemp(join(tmpdir(), "vm-backup-working-dir-"));
    repository = await Repository.init(new LocalDirectoryBlobStore(join(work, "repo")), { chunkSizeBytes: MIB });
    model = t.host.model as HostModel;
  });
  after(async () => {
    await repository.close();
    await t.stop();
    await rm(work, { recursive: true, force: true });
  });

  it("is refused before its snapshot when the workingDir's datastore is full, though its own has room", async () => {
    await session.exec(sh`printf '%s\n' ${'workingDir = "/vmfs/volumes/snaps/db/"'} >> /vmfs/volumes/datastore1/db/db.vmx`);
    model.faults.setDatastoreFull("snaps", true);
    await assert.rejects(
      backUpVm({ session, hostLabel: "esx80.lab", vmName: "db", repository, capabilities, runId: "full-snaps", signal: new AbortController().signal, clock: systemClock, progress: silentProgress }),
      (error: unknown) => {
        assert.ok(error instanceof DatastoreSpaceRefusedError, String(error));
        assert.match(error.message, /datastore "snaps" has 0\.0 GiB free of 0\.3 GiB/u);
        assert.doesNotMatch(error.message, /datastore1/u);
        return true;
      },
    );
    assert.equal(model.pointInTimeRecords(1).length, 0, "no snapshot was taken");
  });
});
