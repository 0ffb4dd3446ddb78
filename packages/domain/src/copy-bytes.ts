/**
 * Copies bytes where one side may be shared memory: the pipeline's landing buffers are SharedArrayBuffers,
 * written on the main thread and read by the chunk workers. V8 copies to or from shared memory with relaxed
 * atomics: word by word where source and target sit at the same offset modulo a word, byte by byte
 * otherwise. Neither side chooses its offset: bytes from an SSH channel are slices of decrypted packets,
 * after the packet's header, and a chunk's envelope starts where the previous one in the worker's output
 * ended. Measured on one core here (32 KiB copies into a 4 MiB shared buffer): 13–24 GB/s equally aligned,
 * 1.9–2.6 GB/s not, 14 GB/s staged as below. The landing's copies alone were 5.8 % of the receiving core's
 * samples in a first backup of the bench's disk (bench/README.md).
 */

const WORD_BYTES = 8;
/** Below this, the slow copy costs less than a second copy would. */
const STAGE_FROM_BYTES = 512;
const STAGING_BYTES = 64 * 1024;
/** Ordinary memory of its own (offset 0 in its ArrayBuffer), where a piece is placed at the shared side's alignment. */
let staging: Uint8Array | undefined;

/** Copies all of `source` into `target` at `targetStart`, as `target.set(source, targetStart)` (a RangeError if it does not fit). */
export function copyBytes(source: Uint8Array, target: Uint8Array, targetStart: number): void {
  const sourceShared = source.buffer instanceof SharedArrayBuffer;
  const targetShared = target.buffer instanceof SharedArrayBuffer;
  const sourceAlignment = source.byteOffset % WORD_BYTES;
  const targetAlignment = (target.byteOffset + targetStart) % WORD_BYTES;
  // Ordinary memory both sides is a plain memmove at any alignment; shared both sides does not occur here.
  if (sourceShared === targetShared || sourceAlignment === targetAlignment || source.length < STAGE_FROM_BYTES) {
    target.set(source, targetStart);
    return;
  }
  if (targetStart < 0 || targetStart + source.length > target.length) throw new RangeError(`${source.length} bytes do not fit at ${targetStart} in ${target.length}`);
  // Each piece goes through ordinary memory placed at the shared side's alignment: the shared side's copy is
  // then word by word, the other a plain memcpy. STAGING_BYTES is whole words, so every piece keeps it.
  const at = targetShared ? targetAlignment : sourceAlignment;
  staging ??= new Uint8Array(new ArrayBuffer(STAGING_BYTES + WORD_BYTES));
  for (let done = 0; done < source.length; done += STAGING_BYTES) {
    const piece = source.subarray(done, Math.min(source.length, done + STAGING_BYTES));
    staging.set(piece, at);
    target.set(staging.subarray(at, at + piece.length), targetStart + done);
  }
}
