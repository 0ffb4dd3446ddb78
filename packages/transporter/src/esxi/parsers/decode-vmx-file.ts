/**
 * The text of a `.vmx`, `.vmsd` or VMDK descriptor from its bytes. The file names its character set on an
 * `.encoding` line (`ddb.encoding`, or `encoding` among the header lines, in a descriptor): `UTF-8` on the
 * files ESXi writes, but a VM or disk made by Workstation and copied to a host keeps the set of the desktop
 * it was made on (`windows-1252`, `GBK`, `Shift_JIS`, …), and its non-ASCII names (a disk's or an extent's
 * file name, the annotation) are bytes of that set. A file without the line must be UTF-8. Bytes the set
 * cannot decode are refused with the line they are on: a replacement character in a file name would name
 * another file, or none.
 */
import { TextDecoder } from "node:util";
import { HostOutputError } from "./host-output-error.js";
import { unexpectedLine } from "./output-lines.js";

const ENCODING_LINE = /^[ \t]*((?:ddb)?\.encoding|encoding)[ \t]*=[ \t]*"?([^"]*?)"?[ \t]*\r?$/imu;

export function decodeVmxFile(bytes: Uint8Array, source: string): string {
  // Every character set a .vmx declares keeps ASCII as ASCII, so the line is found in a byte-per-character view.
  const asLatin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  // ASCII reads the same in every set a .vmx may name, whichever it names.
  if (bytes.every((byte) => byte < 0x80)) return asLatin1;
  const declared = ENCODING_LINE.exec(asLatin1);
  const label = declared?.[2] ?? "UTF-8";
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    const lineNumber = asLatin1.slice(0, declared?.index ?? 0).split("\n").length;
    throw unexpectedLine(source, `the character set '${label}' is not one this program can read`, { number: lineNumber, text: (declared?.[0] ?? "").replace(/\r$/u, "") });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw firstUndecodableLine(bytes, decoder, label, declared?.[1], source);
  }
}

/** `declaredBy`: the key that named the set (`.encoding`, `ddb.encoding`), undefined when none did. */
function firstUndecodableLine(bytes: Uint8Array, decoder: TextDecoder, label: string, declaredBy: string | undefined, source: string): HostOutputError {
  const why = declaredBy === undefined ? "bytes that are not UTF-8, and no '.encoding' (or 'ddb.encoding') line names another character set" : `bytes that are not ${label}, the character set its '${declaredBy}' line names`;
  let start = 0;
  for (let number = 1; start <= bytes.length; number++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    const line = bytes.subarray(start, end);
    try {
      decoder.decode(line);
    } catch {
      // Quoted with each byte as one character: the line cannot be shown in a set it is not in.
      return unexpectedLine(source, why, { number, text: Buffer.from(line).toString("latin1").replace(/\r$/u, "") });
    }
    start = end + 1;
  }
  // A multi-byte sequence cut by a newline: the file as a whole is refused.
  return new HostOutputError(source, why);
}
