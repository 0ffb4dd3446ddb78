/**
 * Known answers and an independent reader: key derivation, key wrapping and envelopes are recomputed here by
 * hand from docs/repository-format.md (§3–§5), with Node's primitives only, so a change of a key, a nonce,
 * an associated data or a derivation in the code under test (an all-zero data key, a dropped binding) makes
 * these fail even when the code still reads back what it wrote.
 */
import { strict as assert } from "node:assert";
import { createDecipheriv, createHmac, scryptSync } from "node:crypto";
import { describe, it } from "node:test";
import { decompress } from "zstd-napi";
import { deriveKey, wrapMasterKey } from "./key-file.js";
import type { KeyFile } from "./key-file.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { Repository } from "./repository.js";
import { chunkKey, manifestKey } from "./repository-layout.js";
import { hkdfByHand } from "./test-crypto.js";
import { backUpImage, makeImage } from "./test-disk.js";

const SCRYPT = { N: 1024, r: 8, p: 1 };

function gcmOpen(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.byteLength - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.byteLength - 16)), decipher.final()]);
}

/** Opens a version-2 envelope by hand (§5). */
function openByHand(envelope: Buffer, dataKey: Buffer, binding: string): Buffer {
  assert.equal(envelope.subarray(0, 4).toString("latin1"), "EXBK");
  assert.equal(envelope[4], 2, "envelope version");
  assert.equal(envelope[7], 1, "encrypted");
  const header = envelope.subarray(0, 32);
  const key = hkdfByHand(dataKey, header.subarray(16, 32), "esxbackup envelope key v3");
  const payload = gcmOpen(key, envelope.subarray(32, 44), envelope.subarray(44), Buffer.concat([header, Buffer.from(binding)]));
  const plain = envelope[6] === 1 ? decompress(payload) : payload;
  assert.equal(BigInt(plain.byteLength), header.readBigUInt64LE(8));
  return plain;
}

describe("known answers", () => {
  it("scrypt: RFC 7914 §12's vector (password, NaCl, N=1024, r=8, p=16), first 32 bytes", async () => {
    const key = await deriveKey("password", Buffer.from("NaCl"), { N: 1024, r: 8, p: 16 });
    assert.equal(key.toString("hex"), "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162");
  });

  it("key wrapping: AES-256-GCM under scrypt(passphrase, salt), associated data esxbackup-key-v3 NUL repository id", async () => {
    const master = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
    const fixed = [Buffer.alloc(32, 0x5a), Buffer.alloc(12, 0xa5)];
    const binding = { formatVersion: 3, repositoryId: "00112233445566778899aabbccddeeff" };
    const file = await wrapMasterKey(Buffer.from(master), "correct horse", SCRYPT, new Date(0), binding, () => fixed.shift() as Buffer);
    assert.deepEqual([file.N, file.r, file.p, file.saltBase64, file.nonceBase64, file.repositoryId], [1024, 8, 1, Buffer.alloc(32, 0x5a).toString("base64"), Buffer.alloc(12, 0xa5).toString("base64"), binding.repositoryId]);
    const kek = scryptSync("correct horse", Buffer.alloc(32, 0x5a), 32, SCRYPT);
    const unwrapped = gcmOpen(kek, Buffer.alloc(12, 0xa5), Buffer.from(file.wrappedKeyBase64, "base64"), Buffer.from(`esxbackup-key-v3\0${binding.repositoryId}`));
    assert.deepEqual(unwrapped, master);
  });
});

describe("an independent reader of an encrypted version-3 repository", () => {
  it("unwraps the master key, checks configMac, opens the manifest and a chunk, and recomputes the chunk's name", async () => {
    const store = new MemoryBlobStore();
    const repository = await Repository.init(store, { chunkSizeBytes: 16 * 1024, threads: 1, encrypt: true, passphrase: "pw", scrypt: SCRYPT });
    const { pointId } = await backUpImage(repository, makeImage(5 * 16 * 1024, 3));
    const index = await repository.readIndex(pointId, 0);
    await repository.close();

    const config = JSON.parse((await store.read("config.json")).toString()) as Record<string, unknown> & { repositoryId: string; configMac: string };
    const [keyName] = await store.list("keys");
    const keyFile = JSON.parse((await store.read(`keys/${keyName}`)).toString()) as KeyFile;
    const kek = scryptSync("pw", Buffer.from(keyFile.saltBase64, "base64"), 32, { N: keyFile.N, r: keyFile.r, p: keyFile.p });
    const master = gcmOpen(kek, Buffer.from(keyFile.nonceBase64, "base64"), Buffer.from(keyFile.wrappedKeyBase64, "base64"), Buffer.from(`esxbackup-key-v3\0${config.repositoryId}`));
    const [dataKey, idKey] = [master.subarray(0, 32), master.subarray(32, 64)];

    const configKey = hkdfByHand(master, Buffer.alloc(0), "esxbackup config mac v3");
    const { configMac, ...rest } = config;
    const canonical = JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
    assert.equal(createHmac("sha256", configKey).update(canonical).digest("hex"), configMac);

    const manifest = JSON.parse(openByHand(await store.read(manifestKey(pointId)), dataKey, `${config.repositoryId}/${manifestKey(pointId)}`).toString()) as { pointId: string };
    assert.equal(manifest.pointId, pointId);

    const digest = index.get(0);
    const chunk = openByHand(await store.read(chunkKey(digest)), dataKey, "");
    assert.equal(createHmac("sha256", idKey).update(chunk).digest("hex"), digest);
  });
});
