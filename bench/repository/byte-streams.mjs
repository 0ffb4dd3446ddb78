// Deterministic byte sources for the benchmark image. Everything is derived from a seed string, so the same
// seed and size always give byte-identical images on any machine (and the results stay comparable).
//
// - randomStream: AES-128-CTR keystream (incompressible, ~1.5 GB/s with AES-NI).
// - TextStream: log-like text lines (compressible about 3-4x by zstd -1, like a guest's logs, documents and
//   binaries' string tables), drawn from a keystream so that no two 4 KiB blocks repeat: a deduplicating
//   repository must not get these regions for free.
// - Prng: a small 32-bit generator (sfc32) for layout decisions (region sizes and kinds, which blocks change).
import { createCipheriv, createHash } from "node:crypto";

function keyFor(seed, label) {
  return createHash("sha256").update(`${seed}\0${label}`).digest();
}

/** Returns a function that appends the next `lengthBytes` random bytes of the stream named `label`. */
export function randomStream(seed, label) {
  const key = keyFor(seed, label);
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
  return (lengthBytes) => cipher.update(Buffer.alloc(lengthBytes));
}

export class Prng {
  constructor(seed, label) {
    const k = keyFor(seed, label);
    this.a = k.readUInt32LE(0);
    this.b = k.readUInt32LE(4);
    this.c = k.readUInt32LE(8);
    this.d = k.readUInt32LE(12);
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  /** sfc32: passes PractRand, fast, and needs nothing but 32-bit integer arithmetic. */
  nextUint32() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next() {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n) for n < 2^32. */
  below(n) {
    return Math.floor(this.next() * n);
  }
}

// A fixed vocabulary (part of the image definition: changing it changes every image, so bump IMAGE_FORMAT).
const WORDS = (
  "the of and to in is for on that with as by at from this be are or an it not was have has were will can " +
  "error warning info debug kernel service started stopped user session request response timeout retry " +
  "connection closed opened file directory write read update delete insert select table index commit " +
  "transaction lock unlock buffer cache memory disk volume block sector device driver network packet " +
  "address port host client server database query value result status ok failed success pending queue " +
  "worker thread process job task schedule backup restore snapshot image chunk hash digest size offset " +
  "length count total time date start end begin finish load save open close send receive accept reject " +
  "config option setting default enabled disabled true false null none yes no new old first last next " +
  "previous current total average minimum maximum path name id type kind mode level state event message " +
  "log trace audit policy rule filter match pattern token key secret account group role permission " +
  "access denied granted login logout password change reset sync async call return throw catch exception " +
  "handler module package library version build release deploy install remove upgrade patch fix bug " +
  "report metric counter gauge histogram sample interval window batch stream pipe socket signal exit " +
  "code line column page record field column row object array string number boolean integer float char " +
  "byte bit word long short unsigned signed static const var let function class struct enum union " +
  "public private protected abstract virtual override final sealed import export require include " +
  "alpha beta gamma delta north south east west green blue"
)
  .split(" ")
  .filter((w, i, all) => all.indexOf(w) === i)
  .slice(0, 256);
if (WORDS.length !== 256) throw new Error(`the text vocabulary needs 256 distinct words, has ${WORDS.length}`);

const WORD_BYTES = WORDS.map((w) => Buffer.from(w + " "));
const DIGITS = Buffer.from("0123456789abcdef");

/**
 * Log-like text: `HHHHHHHH [lvl] w w w w ...\n` lines. Each word costs one keystream byte and each line a few
 * more (a hex stamp), which keeps the data unique yet about 3-4x compressible.
 */
export class TextStream {
  constructor(seed, label) {
    this.random = randomStream(seed, label);
    this.pool = Buffer.alloc(0);
    this.poolAt = 0;
    this.carry = Buffer.alloc(0);
  }

  refill() {
    this.pool = this.random(1 << 20);
    this.poolAt = 0;
  }

  byte() {
    if (this.poolAt >= this.pool.length) this.refill();
    return this.pool[this.poolAt++];
  }

  /** Returns exactly `lengthBytes` bytes of text, continuing where the previous call stopped. */
  next(lengthBytes) {
    const out = Buffer.allocUnsafe(lengthBytes + 4096);
    let at = this.carry.copy(out, 0);
    while (at < lengthBytes) {
      for (let i = 0; i < 8; i++) out[at++] = DIGITS[this.byte() & 15];
      out[at++] = 0x20;
      const wordsInLine = 6 + (this.byte() & 15);
      for (let i = 0; i < wordsInLine; i++) {
        const w = WORD_BYTES[this.byte()];
        for (let j = 0; j < w.length; j++) out[at++] = w[j];
      }
      out[at - 1] = 0x0a;
    }
    this.carry = Buffer.from(out.subarray(lengthBytes, at));
    return out.subarray(0, lengthBytes);
  }
}
