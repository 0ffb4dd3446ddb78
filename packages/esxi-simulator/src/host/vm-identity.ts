/** Fresh random identifiers in the shapes ESXi writes them (.vmx `uuid.bios`/`vc.uuid`, instance UUIDs). */
import { randomBytes } from "node:crypto";

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** `56 4d xx xx xx xx xx xx-xx xx xx xx xx xx xx xx`, starting with `prefix` (hex). */
export function vmxUuid(prefix: string): string {
  const b = [...Buffer.concat([Buffer.from(prefix, "hex"), randomBytes(16)]).subarray(0, 16)].map((x) => x.toString(16).padStart(2, "0"));
  return `${b.slice(0, 8).join(" ")}-${b.slice(8).join(" ")}`;
}

/** `52xxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` */
export function instanceUuid(): string {
  return `52${randomHex(3)}-${randomHex(2)}-${randomHex(2)}-${randomHex(2)}-${randomHex(6)}`;
}

/**
 * A virtual disk's `ddb.uuid`: `60 00 C2 xx xx xx xx xx-xx xx xx xx xx xx xx xx`, the `C2` upper case as
 * hosts write it (esxi-facts 2.3 samples; vim-cmd shows it as `6000C294-7b3f-…`, 1.5).
 */
export function diskUuid(): string {
  return vmxUuid("6000c2").replace(/^60 00 c2 /u, "60 00 C2 ");
}
