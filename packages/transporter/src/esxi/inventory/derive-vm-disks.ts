/**
 * A VM's disks from its parsed `.vmx` and the descriptors of their chains — and which of them a backup
 * must refuse, with the reason. Pure: the caller reads files. It is called until it asks for nothing:
 * each call returns either the disks or the descriptor paths still to read (a delta's parent is known
 * only once the delta is read), so a chain of any length is discovered a level per round.
 *
 * A slot is a disk when it is present and names a `.vmdk` that is not a CD-ROM image; IDE disks often
 * have no deviceType at all (esxi-facts 2.2). Refused: independent disks (snapshots do not freeze them),
 * disks in a mode of older releases whose writes go to a redo log (`nonpersistent`, `undoable`, `append`:
 * the guest's data is not in the disk read) or in a mode not known, raw device mappings (the data lives on
 * a LUN, outside the snapshot's files), and chains whose content ids do not match (`Content ID mismatch`,
 * esxi-facts 2.3) or that never reach a base (`walkDiskChain`); encrypted bases (VM Encryption: the extent
 * is ciphertext, and a restore could not give it back its key) and bases that are not a file of the disk's
 * bytes (`classifyBaseDisk`: vSAN, sparse or split); and, once the VM's snapshots are known, chains with
 * more deltas than its snapshots stack deep, or with deltas when the host flags the VM as needing disk
 * consolidation (`refuseUnownedDeltas`).
 */
import { posix } from "node:path";
import type { VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";
import type { ParsedVmx, VmxDeviceSlot } from "../parsers/parse-vmx.js";
import { classifyBaseDisk, type BaseDiskClass } from "./classify-base-disk.js";
import type { DiskRefusal, InventoryDisk } from "./host-inventory.js";
import { walkDiskChain, type DiskChainLink } from "./walk-disk-chain.js";

export interface DeriveVmDisksInput {
  readonly vmx: ParsedVmx;
  /** Absolute path of the `.vmx`; relative disk names are resolved against its folder. */
  readonly vmxPath: string;
  /** Parsed descriptors by absolute path (everything read so far). */
  readonly descriptors: ReadonlyMap<string, VmdkDescriptor>;
}

export type DerivedVmDisks = { readonly complete: true; readonly disks: readonly InventoryDisk[] } | { readonly complete: false; readonly missingDescriptors: readonly string[] };

export function deriveVmDisks(input: DeriveVmDisksInput): DerivedVmDisks {
  const vmDir = posix.dirname(input.vmxPath);
  const missing: string[] = [];
  const disks: InventoryDisk[] = [];
  for (const slot of input.vmx.deviceSlots.filter(isDisk)) {
    const descriptorPath = posix.resolve(vmDir, slot.fileName);
    const chain = walkDiskChain(descriptorPath, input.descriptors);
    if ("missing" in chain) {
      missing.push(chain.missing);
      continue;
    }
    disks.push(toDisk(slot, input.vmx, chain.links, chain.problem));
  }
  return missing.length > 0 ? { complete: false, missingDescriptors: [...new Set(missing)] } : { complete: true, disks };
}

function isDisk(slot: VmxDeviceSlot): boolean {
  return slot.present && /\.vmdk$/iu.test(slot.fileName) && !/cdrom/iu.test(slot.deviceType ?? "");
}

function toDisk(slot: VmxDeviceSlot, vmx: ParsedVmx, links: readonly DiskChainLink[], chainProblem: string | undefined): InventoryDisk {
  const base = links[0] as DiskChainLink;
  const top = links[links.length - 1] as DiskChainLink;
  // An empty mode is the host's default, as a missing one is.
  const mode = slot.mode === undefined || slot.mode.trim() === "" ? "persistent" : slot.mode.trim().toLowerCase();
  const baseClass = classifyBaseDisk(base.descriptor);
  const rdm = baseClass.kind === "rdm" ? baseClass.compatibility : undefined;
  return {
    slot: slot.slot,
    bus: slot.bus,
    descriptorPath: top.path,
    baseDescriptorPath: base.path,
    extentPaths: base.descriptor.extents.flatMap((e) => (e.fileName === undefined ? [] : [posix.resolve(posix.dirname(base.path), e.fileName)])),
    deltaDescriptorPaths: links.slice(1).map((l) => l.path),
    capacityBytes: top.descriptor.capacityBytes,
    provisioning: base.descriptor.thinProvisioned ? "thin" : "thick",
    cbtEnabled: vmx.ctkEnabled && slot.ctkEnabled,
    mode,
    rdm,
    refusal: refusalOf(slot.slot, mode, rdm, chainProblem) ?? unreadableBaseRefusal(slot.slot, base.path, baseClass),
  };
}

/**
 * Each snapshot on the way to a VM's current state adds one delta to every disk's chain, so a chain with
 * more deltas than that (`snapshotDepth`: `currentStateDepth` from the `.vmsd`, else the most snapshots
 * stacked on one path, `snapshotTreeDepth`) holds deltas no snapshot owns: a removal whose consolidation
 * failed. The guest's writes since then are in them, and a backup of the base disk would silently miss them:
 * such disks are refused (`consolidation-needed`). A linked clone (a delta of this VM over another VM's disk)
 * looks the same from here and is refused alike, the message naming the base so that the user can tell which
 * it is.
 *
 * Counting against the tree's depth cannot see every such delta: in a tree that branches (A → {B, C}, the VM
 * on C), a failed removal of C leaves a chain as long as the tree is deep. The host records the failure itself, as
 * `snapshot.needConsolidate = "TRUE"` in the `.vmsd` (esxi-facts 2.4; Broadcom KB 337269), so a VM it flags
 * (`needConsolidate`: the `.vmsd` that says so) has every disk with a delta refused. A disk with no delta runs
 * on its base, which then holds all its writes whatever the flag says.
 * Disks refused already keep their reason.
 */
export function refuseUnownedDeltas(disks: readonly InventoryDisk[], snapshotDepth: number, needConsolidate?: { readonly vmsdPath: string }): InventoryDisk[] {
  return disks.map((disk) => {
    const deltas = disk.deltaDescriptorPaths.length;
    if (disk.refusal !== undefined || deltas === 0) return disk;
    const flagged = needConsolidate === undefined ? "" : `snapshot.needConsolidate = "TRUE" in ${needConsolidate.vmsdPath}`;
    if (deltas <= snapshotDepth && flagged === "") return disk;
    const chain = `${deltas} delta disk${deltas === 1 ? "" : "s"} in its chain (${disk.deltaDescriptorPaths.join(", ")})`;
    const snapshots = snapshotDepth === 0 ? "no snapshot" : `${snapshotDepth} snapshot${snapshotDepth === 1 ? "" : "s"} on the way to its current state`;
    const counted = deltas > snapshotDepth;
    const found = counted
      ? `${disk.slot} has ${chain} but the VM has ${snapshots}: the host left deltas no snapshot owns (disk consolidation needed${flagged === "" ? "" : `, as its ${flagged} says`})`
      : `${disk.slot} has ${chain}, and the host says the VM's disks need consolidation (${flagged}): a snapshot removal left deltas no snapshot owns`;
    // Only counting cannot tell a linked clone's deltas from unowned ones; the host's flag can.
    const linkedClone = counted ? ` (if the base ${disk.baseDescriptorPath} belongs to another VM, this disk is a linked clone of it, which is not backed up)` : "";
    const message = `${found}, and a backup of the base disk would miss the writes in them; ${CONSOLIDATE_ADVICE}${linkedClone}`;
    return { ...disk, refusal: { reason: "consolidation-needed", message } };
  });
}

/**
 * Consolidation merges only the deltas no snapshot owns and keeps the user's snapshots (vSphere API
 * `ConsolidateVMDisks_Task`; the Host Client's Snapshots → Consolidate disks). It is the user's to run:
 * esxbackup never changes a VM's disks.
 */
const CONSOLIDATE_ADVICE =
  "consolidate the VM's disks on the host (ESXi Host Client: the VM's Snapshots → Consolidate disks; vSphere Client: Snapshots → Consolidate), which keeps its snapshots, then back it up";

/** Disk modes of older releases: the guest writes to a redo log beside the disk, not into it (vSphere API, `VirtualDiskMode`). */
const REDO_LOG_MODES = new Set(["nonpersistent", "undoable", "append"]);

export function diskModeRefusal(slot: string, mode: string): DiskRefusal | undefined {
  if (mode === "persistent") return undefined;
  // The .vmx writes `independent-persistent`; the API's spelling has an underscore.
  if (mode === "independent-persistent" || mode === "independent-nonpersistent" || mode === "independent_persistent" || mode === "independent_nonpersistent") {
    return { reason: "independent", message: `${slot} is an ${mode} disk: a snapshot does not freeze it, so it cannot be captured consistently` };
  }
  if (REDO_LOG_MODES.has(mode)) {
    return { reason: "disk-mode", message: `${slot} is in ${mode} mode: the guest's writes go to a redo log beside the disk, so the disk holds an older state than the guest sees` };
  }
  return { reason: "disk-mode", message: `${slot} has the disk mode ${JSON.stringify(mode)}, which this program does not know; it is not backed up rather than guessed at` };
}

function refusalOf(slot: string, mode: string, rdm: InventoryDisk["rdm"], chainProblem: string | undefined): DiskRefusal | undefined {
  const modeRefusal = diskModeRefusal(slot, mode);
  if (modeRefusal !== undefined) return modeRefusal;
  if (rdm !== undefined) {
    return { reason: "rdm", message: `${slot} is a raw device mapping (${rdm} compatibility): its data lives on a LUN outside the VM's files` };
  }
  if (chainProblem !== undefined) return { reason: "broken-chain", message: `${slot} has a broken snapshot chain: ${chainProblem}` };
  return undefined;
}

/** Asked only when the other refusals leave the disk: only a whole chain ends at the base the backup would read. */
function unreadableBaseRefusal(slot: string, basePath: string, baseClass: BaseDiskClass): DiskRefusal | undefined {
  if (baseClass.kind === "encrypted") {
    return { reason: "encrypted", message: `${slot} is an encrypted disk (${basePath}): its files hold ciphertext that only the host's key opens, and a restore could not give the copy that key` };
  }
  return baseClass.kind === "unreadable" ? { reason: "unsupported-format", message: `${slot}: the base disk ${basePath} ${baseClass.why}` } : undefined;
}
