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
