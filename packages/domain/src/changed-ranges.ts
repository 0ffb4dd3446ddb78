/**
 * Changed byte ranges of a disk, and the chunks they touch. The text form (agreed with the benchmarks and
 * the transporter) is one range per line, `<offsetBytes> <lengthBytes>` in decimal; blank lines and lines
 * starting with `#` are ignored.
 */
import { InvalidInputError } from "./invalid-input-error.js";

export interface ByteRange {
  offsetBytes: number;
  lengthBytes: number;
}

const LINE = /^\s*(\d+)\s+(\d+)\s*$/;

/**
 * Parses the text form; `source` names the file in errors. With `diskSizeBytes` a range reaching past the
 * end of the disk is refused, naming its line (a list for another disk must not be half applied).
 */
export function parseChangedRanges(text: string, source: string, options: { diskSizeBytes?: number } = {}): ByteRange[] {
  const ranges: ByteRange[] = [];
  const lines = text.split(/\r?\n/);
  for (const [lineIndex, line] of lines.entries()) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const match = LINE.exec(line);
    const offsetBytes = match ? Number(match[1]) : NaN;
    const lengthBytes = match ? Number(match[2]) : NaN;
    if (!Number.isSafeInteger(offsetBytes) || !Number.isSafeInteger(lengthBytes)) {
      throw new InvalidInputError(
        `${source} line ${lineIndex + 1}`,
        `expected "<offsetBytes> <lengthBytes>" in decimal (got ${JSON.stringify(line.slice(0, 80))})`,
      );
    }
    if (options.diskSizeBytes !== undefined && offsetBytes + lengthBytes > options.diskSizeBytes) {
      throw new InvalidInputError(
        `${source} line ${lineIndex + 1}`,
        `the range ${offsetBytes}+${lengthBytes} ends at byte ${offsetBytes + lengthBytes}, past the end of the ${options.diskSizeBytes}-byte disk`,
      );
    }
    ranges.push({ offsetBytes, lengthBytes });
  }
  return ranges;
}

/**
 * The sorted, distinct chunk indexes overlapping any range, clipped to the disk. A range reaching past the
 * end of the disk is clipped, not refused: disks may shrink between the list's creation and its use.
 */
export function chunksOverlapping(ranges: readonly ByteRange[], chunkSizeBytes: number, diskSizeBytes: number): number[] {
  const chunkCount = Math.ceil(diskSizeBytes / chunkSizeBytes);
  const selected = new Uint8Array(chunkCount);
  for (const { offsetBytes, lengthBytes } of ranges) {
    if (lengthBytes === 0 || offsetBytes >= diskSizeBytes) continue;
    const first = Math.floor(offsetBytes / chunkSizeBytes);
    const last = Math.min(chunkCount - 1, Math.floor((offsetBytes + lengthBytes - 1) / chunkSizeBytes));
    selected.fill(1, first, last + 1);
  }
  const result: number[] = [];
  for (let index = 0; index < chunkCount; index += 1) if (selected[index] === 1) result.push(index);
  return result;
}
