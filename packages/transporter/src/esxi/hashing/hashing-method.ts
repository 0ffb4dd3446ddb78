/**
 * Which way a host can fingerprint a disk, chosen from what the capability probe found: the cheapest sound
 * method first (docs/adr/0019).
 *
 * 1. `python`: the host's own interpreter runs block-hash-python-script.ts from stdin: one process, the
 *    file read sequentially, hashlib (OpenSSL) digests, any algorithm. Needs Python 3.5 or later (6.7's).
 * 2. `busybox`: `dd` + a digest applet per block (block-hash-shell-script.ts): two process starts per
 *    block, about 4.5 ms per block measured (75 s per GiB at 64 KiB blocks, docs/adr/0019), but the wire
 *    carries one line per block. Over a link faster than one block per that time (about 14 MB/s at 64 KiB)
 *    reading the whole disk is quicker, so when the caller knows the link's rate that decides.
 * 3. `full-read`: neither is available; every non-zero byte of the disk is read and hashed on our side.
 *
 * The algorithm is the one asked for (the previous point's, so the two sets compare) when the method can
 * produce it; a busybox without that applet gets the first it has, and the planner then re-hashes the
 * previous point locally rather than transfer the disk.
 */
import { DEFAULT_FINGERPRINT_BLOCK_BYTES } from "@esxbackup/domain";
import type { FingerprintAlgorithm } from "@esxbackup/domain";
import type { BackupHostCapabilities } from "../probe/host-capabilities.js";
import { DIGEST_APPLETS } from "./block-hash-command.js";

/** The part of the capability probe this decision reads. */
export interface HashingCapabilities {
  /** The interpreter as it is invoked (`python3`, `python`) and what `--version` reported (`3.5.10`). */
  python?: { command: string; version: string };
  /** Busybox applets linked on the host's PATH (`dd`, `md5sum`, …). */
  applets: readonly string[];
}

/**
 * The probe's findings as this decision reads them: the Python with its version, and the applets: `sh`
 * (the probe ran in it), `dd` and `wc` as the probe found them, and the digest applets.
 */
export function hashingCapabilitiesOf(capabilities: Pick<BackupHostCapabilities, "python" | "hashApplets" | "tools">): HashingCapabilities {
  const tools = (["dd", "wc"] as const).filter((tool) => capabilities.tools[tool]);
  const applets = ["sh", ...tools, ...Object.entries(capabilities.hashApplets).filter(([, present]) => present).map(([applet]) => applet)];
  const version = capabilities.python?.version;
  if (capabilities.python === undefined || version === undefined) return { applets };
  return { python: { command: capabilities.python.command, version: `${version.major}.${version.minor}.${version.patch}` }, applets };
}

export type HashingMethod =
  | { kind: "python"; command: string; algorithm: FingerprintAlgorithm }
  | { kind: "busybox"; algorithm: FingerprintAlgorithm }
  | { kind: "full-read"; reason: string };

/**
 * What the host computes unless the previous point asks for another kind: sha1 per 64 KiB. 64 KiB gives the
 * fewest bytes on the wire for the bench's change (1.05× rsync's), sha1 was the fastest or close to it in
 * the host script with and without SHA instructions, and its 41-byte lines cost 0.4 MB per 4 GiB more than
 * md5's (docs/adr/0019).
 */
export const DEFAULT_HOST_FINGERPRINTS = { algorithm: "sha1", blockSizeBytes: DEFAULT_FINGERPRINT_BLOCK_BYTES } as const;

/** The oldest Python a supported host ships (ESXi 6.7); the script is checked against it. */
export const MIN_HOST_PYTHON: readonly [number, number] = [3, 5];

/** Host time per block of the busybox loop (measured: 4.5–4.7 ms on the 2-core CI box, bench in ADR 0019). */
export const BUSYBOX_SECONDS_PER_BLOCK = 0.005;

/** Busybox digest applets in order of preference when the wanted one is missing (fastest first). */
const APPLET_PREFERENCE: readonly FingerprintAlgorithm[] = ["md5", "sha1", "sha256"];

export function chooseHashingMethod(
  capabilities: HashingCapabilities,
  wanted: FingerprintAlgorithm,
  link: { bytesPerSecond?: number; blockSizeBytes?: number } = {},
): HashingMethod {
  const python = capabilities.python;
  if (python !== undefined && pythonIsRecentEnough(python.version)) return { kind: "python", command: python.command, algorithm: wanted };
  const applets = new Set(capabilities.applets);
  const missing = ["sh", "dd", "wc"].filter((applet) => !applets.has(applet));
  const algorithm = [wanted, ...APPLET_PREFERENCE].find((candidate) => applets.has(DIGEST_APPLETS[candidate]));
  if (missing.length === 0 && algorithm !== undefined) {
    const block = link.blockSizeBytes ?? DEFAULT_FINGERPRINT_BLOCK_BYTES;
    const fullReadWins = link.bytesPerSecond !== undefined && link.bytesPerSecond * BUSYBOX_SECONDS_PER_BLOCK > block;
    if (!fullReadWins) return { kind: "busybox", algorithm };
    return { kind: "full-read", reason: `no Python on the host, and over a ${Math.round((link.bytesPerSecond ?? 0) / 1e6)} MB/s link reading the disk is faster than hashing it with busybox` };
  }
  const noPython = python === undefined ? "no Python" : `Python ${python.version} is older than ${MIN_HOST_PYTHON.join(".")}`;
  const noApplets = algorithm === undefined ? "no md5sum, sha1sum or sha256sum" : `no ${missing.join(", ")}`;
  return { kind: "full-read", reason: `no way to hash on the host: ${noPython}; ${noApplets}` };
}

function pythonIsRecentEnough(version: string): boolean {
  const match = /^(\d+)\.(\d+)/u.exec(version.trim());
  if (match === null) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > MIN_HOST_PYTHON[0] || (major === MIN_HOST_PYTHON[0] && minor >= MIN_HOST_PYTHON[1]);
}
