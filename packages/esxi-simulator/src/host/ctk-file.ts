/**
 * `-ctk.vmdk` in the simulator's own format: a 512-byte header (`ESXSIM-CTK`, then the disk size as u64 LE
 * at offset 16) and one u32 per 64 KiB block, all zero. The real format is not public (esxi-facts 3); this
 * file only has to exist, with a size that grows with the disk.
 */
import { writeFile } from "node:fs/promises";

export async function writeCtkFile(path: string, sizeBytes: number): Promise<void> {
  const header = Buffer.alloc(512);
  header.write("ESXSIM-CTK", 0, "latin1");
  header.writeBigUInt64LE(BigInt(sizeBytes), 16);
  await writeFile(path, Buffer.concat([header, Buffer.alloc(Math.ceil(sizeBytes / 65536) * 4)]));
}
