/**
 * Guest OS ids: vim-cmd and the API print `ubuntu64Guest`, `windows9Server64Guest`, `centos7_64Guest`; the
 * `.vmx` holds `guestOS = "ubuntu-64"`, `"windows9srv-64"`, `"centos7-64"` (esxi-facts 2.2 sample: a VM
 * with `guestOS = "ubuntu-64"`). A table of the pairs whose spelling differs beyond the regular rule
 * ([derived] from VMware's guest id list), and the rule for the rest: `<base>_64Guest` / `<base>64Guest`
 * ↔ `<base>-64`, `<base>Guest` ↔ `<base>`.
 */
const PAIRS: [vim: string, vmx: string][] = [
  ["otherGuest64", "other-64"],
  ["otherGuest", "other"],
  ["windows9Server64Guest", "windows9srv-64"],
  ["windows8Server64Guest", "windows8srv-64"],
  ["windows7Server64Guest", "windows7srv-64"],
  ["windows2019srv_64Guest", "windows2019srv-64"],
  ["windows2019srvNext_64Guest", "windows2019srvnext-64"],
  ["windows2022srvNext_64Guest", "windows2022srvnext-64"],
  ["other3xLinux64Guest", "other3xlinux-64"],
  ["other4xLinux64Guest", "other4xlinux-64"],
  ["other5xLinux64Guest", "other5xlinux-64"],
  ["otherLinux64Guest", "otherlinux-64"],
  ["vmwarePhoton64Guest", "vmware-photon-64"],
];

/** `.vmx` guestOS for a vim guest id. */
export function vmxGuestOs(guestId: string): string {
  const pair = PAIRS.find(([v]) => v === guestId);
  if (pair !== undefined) return pair[1];
  const m = /^(.*?)_?64Guest$/u.exec(guestId);
  if (m?.[1] !== undefined) return `${m[1]}-64`;
  return guestId.replace(/Guest$/u, "");
}

/** vim guest id for a `.vmx` guestOS (case-insensitive, as the host reads it). */
export function vimGuestId(guestOs: string): string {
  const lower = guestOs.toLowerCase();
  const pair = PAIRS.find(([, x]) => x === lower);
  if (pair !== undefined) return pair[0];
  const m = /^(.*)-64$/u.exec(lower);
  if (m?.[1] !== undefined) return /\d$/u.test(m[1]) ? `${m[1]}_64Guest` : `${m[1]}64Guest`;
  return `${lower}Guest`;
}
