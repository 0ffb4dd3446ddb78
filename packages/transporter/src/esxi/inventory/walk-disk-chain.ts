/**
 * A disk's chain of descriptors, from the one the VM writes through down to its base (esxi-facts 2.3). Each
 * delta names its parent by `parentFileNameHint`: relative to the delta's own folder, or absolute when the
 * parent lives elsewhere (`/vmfs/volumes/<uuid>/sql/sql.vmdk`, the same file under the datastore's uuid
 * rather than its name, or another datastore). A delta must carry its parent's CID as its `parentCID`, or the
 * host itself refuses to open the disk (`Content ID mismatch`); `parentCID=ffffffff` ends the chain.
 *
 * Pure: the walk returns the first descriptor it has not been given, and the caller reads it and walks again
 * (a delta's parent is known only once the delta is read). A chain that cannot be followed ends with the
 * reason, never a guess: no parent named, a parent named by a hosted product's Windows path, a CID that does
 * not match, or a chain that comes back on itself.
 */
import { posix } from "node:path";
import type { VmdkDescriptor } from "../parsers/parse-vmdk-descriptor.js";

export interface DiskChainLink {
  /** Absolute host path of the descriptor, as the child named it (or the `.vmx` for the top). */
  readonly path: string;
  readonly descriptor: VmdkDescriptor;
}

/** `links`: base first, the top last; `problem` says why the chain stops before a base, undefined when it reaches one. */
export type DiskChain = { readonly links: readonly DiskChainLink[]; readonly problem: string | undefined } | { readonly missing: string };

/** ESXi allows 32 snapshots per chain; a longer chain is not one the host made. */
const MAX_CHAIN_LENGTH = 64;

/**
 * `C:\VMs\base.vmdk`, `C:/VMs/base.vmdk` or `\\server\share\base.vmdk`: written by Workstation on Windows, not a
 * path on the host. A backslash elsewhere is left alone (an ESXi file name may hold one), and so is a name that
 * only starts with a letter and a colon (`D:drive.vmdk`).
 */
const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\)/u;

/** The chain from the descriptor at `top` down to its base, or the first descriptor still to read. */
export function walkDiskChain(top: string, descriptors: ReadonlyMap<string, VmdkDescriptor>): DiskChain {
  const links: DiskChainLink[] = [];
  let path = top;
  for (;;) {
    const descriptor = descriptors.get(path);
    if (descriptor === undefined) return { missing: path };
    const child = links[0];
    if (links.some((l) => l.path === path)) return { links, problem: `the chain comes back to ${path} (named as parent by ${child?.path ?? top})` };
    links.unshift({ path, descriptor });
    if (child !== undefined && child.descriptor.parentCid !== descriptor.cid) {
      return { links, problem: `content id mismatch: ${child.path} expects parent CID ${child.descriptor.parentCid}, ${path} has ${descriptor.cid}` };
    }
    if (descriptor.isBase) return { links, problem: undefined };
    const hint = descriptor.parentFileNameHint;
    if (hint === undefined || hint === "") return { links, problem: `${path} is a delta without parentFileNameHint` };
    if (WINDOWS_PATH.test(hint)) return { links, problem: `${path} names its parent by a Windows path (${hint}), not a path on this host` };
    if (links.length >= MAX_CHAIN_LENGTH) return { links, problem: `more than ${MAX_CHAIN_LENGTH} descriptors in the chain of ${top}` };
    path = posix.resolve(posix.dirname(path), hint);
  }
}
