// Byte sizes as people write them on the command line ("4GiB", "256M", "64K": binary units) and as the
// report prints them.
const UNITS = { "": 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tib: 1024 ** 4 };

export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m && UNITS[m[2].toLowerCase()];
  if (!unit) throw new Error(`not a size: ${JSON.stringify(text)} (try 4GiB, 256MiB, 64K)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes % 65536 !== 0) throw new Error(`size ${text} must be a multiple of 64 KiB`);
  return bytes;
}

export const MiB = 1024 * 1024;

export function formatMiB(bytes, digits = 0) {
  return (bytes / MiB).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "4 GiB", "512 MiB", "1.5 GiB". */
export function formatSize(bytes) {
  if (bytes >= 1024 ** 3) return `${Number((bytes / 1024 ** 3).toFixed(2))} GiB`;
  return `${Number((bytes / MiB).toFixed(1))} MiB`;
}
