/**
 * File names of a disk's parts, from its descriptor name (esxi-facts 2.1–2.3): `<d>.vmdk` (descriptor),
 * `<d>-flat.vmdk` (base data), `<d>-ctk.vmdk` (change tracking), `<d>-sesparse.vmdk` (VMFS6 delta data) or
 * `<d>-delta.vmdk` (VMFS5 delta data), and `<stem>-00000N.vmdk` for the Nth delta descriptor.
 */
export function flatFileOf(descriptor: string): string {
  return descriptor.replace(/\.vmdk$/u, "-flat.vmdk");
}

export function ctkFileOf(descriptor: string): string {
  return descriptor.replace(/\.vmdk$/u, "-ctk.vmdk");
}

export function deltaExtentFileOf(descriptor: string, seSparse: boolean): string {
  return descriptor.replace(/\.vmdk$/u, seSparse ? "-sesparse.vmdk" : "-delta.vmdk");
}

/** The first free `<stem>-00000N.vmdk` among the folder's file names. */
export function nextDeltaDescriptor(baseFile: string, existing: ReadonlySet<string>): string {
  const stem = baseFile.replace(/\.vmdk$/u, "");
  let n = 1;
  while (existing.has(`${stem}-${String(n).padStart(6, "0")}.vmdk`)) n++;
  return `${stem}-${String(n).padStart(6, "0")}.vmdk`;
}
