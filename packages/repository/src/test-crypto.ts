/**
 * Test support: HKDF-SHA-256 written out from RFC 5869 (one 32-byte block), independently of the code
 * under test, for known-answer tests. Not part of the package's API.
 */
import { createHmac } from "node:crypto";

export function hkdfByHand(ikm: Buffer, salt: Buffer, info: Buffer | string): Buffer {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  return createHmac("sha256", prk).update(Buffer.concat([Buffer.from(info), Buffer.from([1])])).digest();
}
