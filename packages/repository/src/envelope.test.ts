import { strict as assert } from "node:assert";
import { createDecipheriv, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { EnvelopeKind, chunkEnvelopeBound, envelopeSessionId, openEnvelope, sealChunkInto, sealEnvelope } from "./envelope.js";
import type { EnvelopeVersion, Opening, Sealing } from "./envelope.js";
import { SessionKeys } from "./session-keys.js";
import { hkdfByHand } from "./test-crypto.js";

const DATA_KEY = randomBytes(32);
const text = (bytes: number): Buffer => Buffer.from("snapshot consolidated on datastore1\n".repeat(Math.ceil(bytes / 36)).slice(0, bytes));
const BINDING = "0123456789abcdef0123456789abcdef/indexes/20260301T120000000Z-1a2b3c4d/disk-0.fidx";


function keysFor(version: EnvelopeVersion, encrypted: boolean): { sealing: () => Sealing; opening: Opening } {
  const sessions = new SessionKeys(version, encrypted ? Buffer.from(DATA_KEY) : undefined);
  return { sealing: () => sessions.sealing(1), opening: sessions.opening };
}

describe("chunk envelopes", () => {
  for (const version of [1, 2] as const) {
    for (const encrypted of [false, true]) {
      const mode = `envelope version ${version}, ${encrypted ? "encrypted" : "plain"}`;
      const { sealing, opening } = keysFor(version, encrypted);
      for (const [name, plain, compressed] of [
        ["incompressible", randomBytes(65536), false],
        ["compressible", text(65536), true],
        ["one byte", Buffer.from([7]), false],
        ["empty", Buffer.alloc(0), false],
      ] as const) {
        it(`${mode}, ${name}: sealed into a shared buffer, stored ${compressed ? "compressed" : "raw"}, opened intact`, () => {
          // Two envelopes back to back in one buffer, as a worker seals a run.
          const bound = chunkEnvelopeBound(plain.byteLength, encrypted, version);
          const target = Buffer.alloc(2 * bound + 64, 0xee);
          const first = sealChunkInto(target, plain, sealing(), 1);
          const second = sealChunkInto(target.subarray(first), plain, sealing(), 3);
          assert.ok(first <= bound && second <= bound);
          for (const [offset, length] of [[0, first], [first, second]] as const) {
            const envelope = target.subarray(offset, offset + length);
            assert.equal(envelope[4], version, "envelope version");
            assert.equal(envelope[6], compressed ? 1 : 0, "compression flag");
            assert.equal(envelope[7], encrypted ? 1 : 0, "encryption flag");
            if (!compressed) assert.equal(length, bound, "raw chunks take exactly the bound");
            assert.deepEqual(openEnvelope(EnvelopeKind.chunk, envelope, opening, plain.byteLength), plain);
          }
          // zstd may use the rest of its output room as scratch, but never more than the bound.
          assert.ok(target.subarray(first + bound).every((byte) => byte === 0xee), "nothing written past the bound");
        });
      }
    }
  }

  it("a higher level makes compressible data smaller; both open to the same bytes", () => {
    const plain = Buffer.concat(Array.from({ length: 64 }, (_, line) => Buffer.from(`${line * 7919} ${text(40 + (line % 13)).toString()}`)));
    const fast = sealEnvelope(EnvelopeKind.chunk, plain, { version: 2 }, 1);
    const small = sealEnvelope(EnvelopeKind.chunk, plain, { version: 2 }, 19);
    assert.ok(small.byteLength <= fast.byteLength);
    assert.deepEqual(openEnvelope(EnvelopeKind.chunk, small, { version: 2 }, plain.byteLength), plain);
  });

  it("a flipped ciphertext byte of a chunk sealed in place fails authentication", () => {
    const { sealing, opening } = keysFor(2, true);
    const plain = text(4096);
    const target = Buffer.alloc(chunkEnvelopeBound(plain.byteLength, true));
    const length = sealChunkInto(target, plain, sealing(), 1);
    const envelope = target.subarray(0, length);
    envelope[50] = (envelope[50] ?? 0) ^ 1;
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, envelope, opening, plain.byteLength), /authentication failed/);
  });
});

describe("envelope authentication", () => {
  for (const version of [1, 2] as const) {
    // Each edit leaves a header that parses: only the authentication can notice it.
    const edits: [string, (envelope: Buffer) => void][] = [
      ["the compression flag of a raw chunk set", (envelope) => (envelope[6] = 1)],
      ["the plaintext length changed", (envelope) => envelope.writeBigUInt64LE(envelope.readBigUInt64LE(8) - 1n, 8)],
    ];
    if (version === 2) edits.push(["a session id byte flipped", (envelope) => (envelope[20] = (envelope[20] ?? 0) ^ 1)]);
    for (const [name, edit] of edits) {
      it(`envelope version ${version}: ${name} in the header fails authentication`, () => {
        const { sealing, opening } = keysFor(version, true);
        const plain = randomBytes(4096);
        const envelope = sealEnvelope(EnvelopeKind.chunk, plain, sealing(), 1);
        assert.equal(envelope[6], 0, "stored raw");
        edit(envelope);
        assert.throws(() => openEnvelope(EnvelopeKind.chunk, envelope, opening, plain.byteLength), /authentication failed/);
      });
    }
  }

  for (const encrypted of [false, true]) {
    it(`version 2, ${encrypted ? "encrypted" : "plain"}: a metadata envelope opens only under the binding it was sealed for`, () => {
      const { sealing, opening } = keysFor(2, encrypted);
      const plain = text(1000);
      const envelope = sealEnvelope(EnvelopeKind.index, plain, sealing(), 1, BINDING);
      assert.deepEqual(openEnvelope(EnvelopeKind.index, envelope, opening, 1 << 20, BINDING), plain);
      for (const other of [BINDING.replace("disk-0", "disk-1"), BINDING.replace("1a2b3c4d", "1a2b3c4e"), `f${BINDING.slice(1)}`]) {
        assert.throws(() => openEnvelope(EnvelopeKind.index, envelope, opening, 1 << 20, other), encrypted ? /authentication failed.*copied from another file/ : /checksum mismatch.*copied/);
      }
      assert.throws(() => sealEnvelope(EnvelopeKind.index, plain, sealing(), 1), /bound to its file/);
    });
  }

  it("a version-1 envelope is refused where version 2 is expected, and the other way round", () => {
    const v1 = keysFor(1, true);
    const v2 = keysFor(2, true);
    const plain = text(100);
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, sealEnvelope(EnvelopeKind.chunk, plain, v1.sealing()), v2.opening, 100), /envelope version 1 is not the version of this repository \(2\)/);
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, sealEnvelope(EnvelopeKind.chunk, plain, v2.sealing()), v1.opening, 100), /envelope version 2 is not/);
  });

  it("an envelope sealed under one data key does not open under another", () => {
    const plain = text(2000);
    const envelope = sealEnvelope(EnvelopeKind.chunk, plain, new SessionKeys(2, randomBytes(32)).sealing(1));
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, envelope, new SessionKeys(2, Buffer.alloc(32)).opening, 2000), /authentication failed/);
    assert.throws(() => openEnvelope(EnvelopeKind.chunk, envelope, new SessionKeys(2, randomBytes(32)).opening, 2000), /authentication failed/);
  });

  it("known answer: a version-2 envelope decrypts with HKDF-SHA-256(data key, session id, \"esxbackup envelope key v3\") computed by hand", () => {
    const dataKey = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
    const plain = randomBytes(3000);
    const envelope = sealEnvelope(EnvelopeKind.manifest, plain, new SessionKeys(2, Buffer.from(dataKey)).sealing(1), 1, BINDING);
    const sessionId = envelopeSessionId(envelope);
    assert.equal(sessionId.byteLength, 16);
    const key = hkdfByHand(dataKey, sessionId, "esxbackup envelope key v3");
    // RFC 5869 test case 1 checks the hand-written HKDF itself (first 32 bytes of its OKM).
    const rfc = hkdfByHand(Buffer.alloc(22, 0x0b), Buffer.from("000102030405060708090a0b0c", "hex"), Buffer.from("f0f1f2f3f4f5f6f7f8f9", "hex"));
    assert.equal(rfc.toString("hex"), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
    const header = envelope.subarray(0, 32);
    const decipher = createDecipheriv("aes-256-gcm", key, envelope.subarray(32, 44));
    decipher.setAAD(Buffer.concat([header, Buffer.from(BINDING)]));
    decipher.setAuthTag(envelope.subarray(envelope.byteLength - 16));
    assert.deepEqual(Buffer.concat([decipher.update(envelope.subarray(44, envelope.byteLength - 16)), decipher.final()]), plain);
  });
});

describe("session keys and nonces", () => {
  it("no nonce repeats over 20,000 seals of one session, and no key is reused across sessions", () => {
    const sessions = new SessionKeys(2, randomBytes(32));
    const nonces = new Set<string>();
    const plain = Buffer.from([1, 2, 3]);
    const target = Buffer.alloc(chunkEnvelopeBound(3, true));
    let sessionId = "";
    for (let seal = 0; seal < 20_000; seal += 1) {
      const length = sealChunkInto(target, plain, sessions.sealing(1), 1);
      nonces.add(target.subarray(32, 44).toString("hex"));
      sessionId = target.subarray(16, 32).toString("hex");
      assert.equal(length, 32 + 12 + 3 + 16);
    }
    assert.equal(nonces.size, 20_000);
    const other = new SessionKeys(2, randomBytes(32)).sealing(1);
    assert.notEqual(Buffer.from(other.cipher?.sessionId ?? []).toString("hex"), sessionId, "two writers never share a session");
  });

  it("a session seals at most its limit of envelopes, then a new session with a new key starts; a run is never split", () => {
    const sessions = new SessionKeys(2, randomBytes(32), { limit: 5 });
    const ids = [3, 2, 1, 4, 2].map((messages) => Buffer.from(sessions.sealing(messages).cipher?.sessionId ?? []).toString("hex"));
    assert.equal(ids[0], ids[1], "3 + 2 fit in one session");
    assert.notEqual(ids[2], ids[1], "a sixth envelope starts a new session");
    assert.equal(ids[3], ids[2], "1 + 4 = 5 fit in the new session");
    assert.notEqual(ids[4], ids[3], "and 2 more do not");
    const keys = new Set([3, 3, 3].map(() => Buffer.from(sessions.sealing(3).cipher?.key ?? []).toString("hex")));
    assert.equal(keys.size, 3, "every session has its own key");
  });

  it("a wiped session object refuses to seal or open, and its keys are overwritten", () => {
    const dataKey = randomBytes(32);
    const sessions = new SessionKeys(2, dataKey);
    const key = sessions.sealing(1).cipher?.key as Buffer;
    sessions.wipe();
    assert.ok(dataKey.every((byte) => byte === 0) && key.every((byte) => byte === 0));
    assert.throws(() => sessions.sealing(1), /wiped/);
  });
});
