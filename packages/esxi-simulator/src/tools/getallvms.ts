/**
 * `vim-cmd vmsvc/getallvms`, by the [derived] layout rule of esxi-facts 1.1: column width = max(header,
 * longest value) counted in characters (code points, newlines of a multi-line annotation included), columns
 * joined by 3 spaces, values left-justified and padded (trailing spaces too), header labels centred with the
 * smaller half on the left, rows sorted by vmid compared as strings, only the header when there are no VMs.
 */
export interface GetAllVmsRow {
  vmid: string;
  name: string;
  /** `[<datastore name>] <path relative to the datastore>` */
  file: string;
  guestOs: string;
  /** `vmx-NN` */
  version: string;
  annotation: string;
}

const HEADERS = ["Vmid", "Name", "File", "Guest OS", "Version", "Annotation"];

function len(s: string): number {
  return [...s].length;
}

function ljust(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - len(s)));
}

function centre(s: string, width: number): string {
  const left = Math.floor((width - len(s)) / 2);
  return " ".repeat(left) + s + " ".repeat(width - len(s) - left);
}

export function renderGetAllVms(rows: readonly GetAllVmsRow[]): string {
  const cells = rows.map((r) => [r.vmid, r.name, r.file, r.guestOs, r.version, r.annotation]);
  const widths = HEADERS.map((h, i) => Math.max(len(h), ...cells.map((c) => len(c[i] ?? ""))));
  const out = [HEADERS.map((h, i) => centre(h, widths[i] ?? 0)).join("   ")];
  const sorted = [...cells].sort((a, b) => ((a[0] ?? "") < (b[0] ?? "") ? -1 : (a[0] ?? "") > (b[0] ?? "") ? 1 : 0));
  for (const c of sorted) out.push(c.map((v, i) => ljust(v, widths[i] ?? 0)).join("   "));
  return `${out.join("\n")}\n`;
}
