/** The `HostTools` of a simulated host: routes each invocation to its tool. Never throws for bad input. */
import type { HostTools, ToolInvocation, ToolResult } from "../host-tools.js";
import type { HostState } from "../host/host-state.js";
import { ESXI_RELEASES } from "./esxi-release.js";
import { runEsxcli, type FilesystemRow } from "./esxcli.js";
import { VimCmd } from "./vim-cmd.js";
import { Vmkfstools } from "./vmkfstools.js";
import { runDf } from "./df.js";
import { runVmwareVersion } from "./vmware-version.js";

export class SimulatedHostTools implements HostTools {
  readonly #vimCmd: VimCmd;
  readonly #vmkfstools: Vmkfstools;
  readonly #free = new Map<string, number>();

  constructor(private readonly host: HostState) {
    this.#vimCmd = new VimCmd(host, host.clock.now());
    this.#vmkfstools = new Vmkfstools(host);
  }

  async run(invocation: ToolInvocation): Promise<ToolResult> {
    const release = ESXI_RELEASES[this.host.config.esxiVersion];
    try {
      switch (invocation.tool) {
        case "vim-cmd":
          return await this.#vimCmd.run(invocation.args, invocation.cwd);
        case "vmkfstools":
          return await this.#vmkfstools.run(invocation.args, invocation.cwd);
        case "esxcli":
          for (const ds of this.host.config.datastores) this.#free.set(ds.uuid, await this.host.freeBytes(ds));
          return runEsxcli(release, () => this.#filesystems(), invocation.args, this.host.config.name, this.host.config.portGroups);
        case "vmware":
          return runVmwareVersion(release, invocation.args);
        case "df":
          for (const ds of this.host.config.datastores) this.#free.set(ds.uuid, await this.host.freeBytes(ds));
          return runDf(this.#filesystems(), invocation.args);
      }
    } catch (e) {
      return { stdout: Buffer.alloc(0), stderr: Buffer.from(`${invocation.tool}: internal error: ${(e as Error).message}\n`), exitCode: 1 };
    }
    return { stdout: Buffer.alloc(0), stderr: Buffer.from(`${String(invocation.tool)}: not found\n`), exitCode: 127 };
  }

  #filesystems(): FilesystemRow[] {
    const rows: FilesystemRow[] = this.host.config.datastores.map((ds) => ({
      mountPoint: `/vmfs/volumes/${ds.uuid}`,
      volumeName: ds.name,
      uuid: ds.uuid,
      mounted: true,
      type: `VMFS-${ds.vmfsVersion}`,
      sizeBytes: ds.capacityBytes,
      freeBytes: this.#free.get(ds.uuid) ?? ds.capacityBytes,
    }));
    // System volumes: bootbanks (vfat) everywhere; OSDATA (VMFSOS) from 7.0 on; the rows of the 8.0.2 sample
    // (esxi-facts 1.11).
    const seven = this.host.config.esxiVersion !== "6.7";
    const sys = [
      { uuid: "b67455de-254faef7-f8ae-2f039b5dad25", name: seven ? "BOOTBANK1" : "", type: "vfat", size: 4293591040, free: 3996778496 },
      { uuid: "5996ff6e-3045ec7e-7497-c870866b06ae", name: seven ? "BOOTBANK2" : "", type: "vfat", size: 4293591040, free: 4293525504 },
    ];
    if (seven) sys.unshift({ uuid: "6a91690d-eac44959-2d46-001b21e7d76e", name: "OSDATA-6a91690d-eac44959-2d46-001b21e7d76e", type: "VMFSOS", size: 128580583424, free: 124127281152 });
    for (const s of sys) rows.push({ mountPoint: `/vmfs/volumes/${s.uuid}`, volumeName: s.name, uuid: s.uuid, mounted: true, type: s.type, sizeBytes: s.size, freeBytes: s.free });
    return rows;
  }
}
