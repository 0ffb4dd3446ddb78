import { strict as assert } from "node:assert";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { changePassphrase } from "./change-passphrase.js";
import { unwrapMasterKey, wrapMasterKey } from "./key-file.js";
import type { KeyFile } from "./key-file.js";
import { LocalDirectoryBlobStore } from "./local-directory-blob-store.js";
import { readRepositoryConfig } from "./repository-config.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { Repository } from "./repository.js";
import { WrongPassphraseError } from "./wrong-passphrase-error.js";
import { backUpImage, makeImage, readWholeDisk, sha256, storeWith } from "./test-disk.js";

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
const CHUNK = 16 * 1024;
const OLD = "correct horse";
const NEW = "battery staple";

/** Every file under the repository with its bytes, to prove a refused change wrote nothing. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, sha256(await readFile(path)));
    }
  }
  return files;
}

async function opens(store: BlobStore, passphrase: string): Promise<boolean> {
  try {
    await (await Repository.open(store, { passphrase, threads: 0 })).close();
    return true;
  } catch (error) {
    if (error instanceof WrongPassphraseError) return false;
    throw error;
  }
}

/** The store as seen by a process that dies when it starts removing key files. */
function crashingAtKeyRemoval(store: BlobStore): BlobStore {
  return storeWith(store, {
    remove: async (key) => {
      if (key.startsWith("keys/")) throw new Error("simulated crash");
      return store.remove(key);
    },
  });
}

describe("changePassphrase", () => {
  let dir: string;
  let counter = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "esxbackup-passphrase-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fresh(encrypt = true): Promise<{ root: string; store: LocalDirectoryBlobStore; image: Buffer; pointId: string }> {
    counter += 1;
    const root = join(dir, `repo-${counter}`);
    const store = new LocalDirectoryBlobStore(root);
    const repository = await Repository.init(store, {
      chunkSizeBytes: CHUNK,
      threads: 0,
      ...(encrypt ? { encrypt: true, passphrase: OLD, scrypt: FAST_SCRYPT } : {}),
    });
    const image = makeImage(5 * CHUNK + 123, counter);
    const { pointId } = await backUpImage(repository, image);
    await repository.close();
    return { root, store, image, pointId };
  }

  it("the new passphrase opens and reads everything backed up before; the old one is refused; one key file is left", async () => {
    const { root, store, image, pointId } = await fresh();
    const [oldKeyFile] = await readdir(join(root, "keys"));
    const oldFile = JSON.parse(await readFile(join(root, "keys", oldKeyFile as string), "utf8")) as KeyFile;
    const change = await changePassphrase(store, { currentPassphrase: OLD, newPassphrase: NEW, scrypt: FAST_SCRYPT });
    assert.deepEqual(change.removedKeyFileKeys, [`keys/${oldKeyFile}`]);
    assert.deepEqual(await readdir(join(root, "keys")), [change.keyFileKey.slice("keys/".length)]);
    await assert.rejects(Repository.open(store, { passphrase: OLD }), WrongPassphraseError);
    const repository = await Repository.open(store, { passphrase: NEW, threads: 0 });
    try {
      assert.equal(sha256(await readWholeDisk(repository, pointId as never)), sha256(image));
    } finally {
      await repository.close();
    }
    const keyFile = JSON.parse(await readFile(join(root, change.keyFileKey), "utf8")) as KeyFile;
    assert.deepEqual([keyFile.N, keyFile.r, keyFile.p], [FAST_SCRYPT.N, FAST_SCRYPT.r, FAST_SCRYPT.p]);
    assert.notEqual(keyFile.saltBase64, oldFile.saltBase64, "a fresh salt");
    assert.notEqual(keyFile.nonceBase64, oldFile.nonceBase64, "a fresh nonce");
    assert.deepEqual(await readdir(join(root, "locks")), [".keep", "space-reserve"], "the mutex is released");
  });

  it("a wrong current passphrase is refused and nothing is written", async () => {
    const { root, store } = await fresh();
    const before = await snapshot(root);
    await assert.rejects(changePassphrase(store, { currentPassphrase: "wrong", newPassphrase: NEW, scrypt: FAST_SCRYPT }), WrongPassphraseError);
    assert.deepEqual(await snapshot(root), before);
    assert.ok(await opens(store, OLD));
  });

  it("an unencrypted repository, a missing repository, an empty or unchanged new passphrase are refused as bad input", async () => {
    const plain = await fresh(false);
    const plainBefore = await snapshot(plain.root);
    await assert.rejects(changePassphrase(plain.store, { currentPassphrase: OLD, newPassphrase: NEW }), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.match(error.message, /^repository: .*config\.json: the repository is not encrypted/);
      return true;
    });
    assert.deepEqual(await snapshot(plain.root), plainBefore);

    const { root, store } = await fresh();
    const before = await snapshot(root);
    const cases: [string, string, RegExp][] = [
      [OLD, "", /^new passphrase: must not be empty$/],
      [OLD, OLD, /^new passphrase: is the same as the current one/],
      ["", NEW, /^passphrase: the repository is encrypted/],
    ];
    for (const [currentPassphrase, newPassphrase, message] of cases) {
      await assert.rejects(changePassphrase(store, { currentPassphrase, newPassphrase }), (error: unknown) => error instanceof InvalidInputError && message.test(error.message));
    }
    assert.deepEqual(await snapshot(root), before);
    await assert.rejects(changePassphrase(new LocalDirectoryBlobStore(join(dir, "nowhere")), { currentPassphrase: OLD, newPassphrase: NEW }), /does not exist: not an esxbackup repository/);
  });

  it("a crash between writing the new key file and removing the old leaves both working; running again finishes", async () => {
    const { root, store, image, pointId } = await fresh();
    await assert.rejects(changePassphrase(crashingAtKeyRemoval(store), { currentPassphrase: OLD, newPassphrase: NEW, scrypt: FAST_SCRYPT }), /simulated crash/);
    assert.equal((await readdir(join(root, "keys"))).length, 2);
    assert.ok(await opens(store, OLD), "the old passphrase still opens its key file");
    assert.ok(await opens(store, NEW), "the new passphrase opens the new key file");

    const change = await changePassphrase(store, { currentPassphrase: OLD, newPassphrase: NEW, scrypt: FAST_SCRYPT });
    assert.equal(change.removedKeyFileKeys.length, 2);
    assert.deepEqual(await readdir(join(root, "keys")), [change.keyFileKey.slice("keys/".length)]);
    assert.equal(await opens(store, OLD), false);
    const repository = await Repository.open(store, { passphrase: NEW, threads: 0 });
    try {
      assert.equal(sha256(await readWholeDisk(repository, pointId as never)), sha256(image));
    } finally {
      await repository.close();
    }
  });

  it("a second key file written beside the first (the half-done state) is finished by the change", async () => {
    const { root, store } = await fresh();
    const [first] = await readdir(join(root, "keys"));
    const config = await readRepositoryConfig(store);
    const master = await unwrapMasterKey(JSON.parse(await readFile(join(root, "keys", first as string), "utf8")) as KeyFile, OLD, config);
    assert.ok(master !== undefined);
    await store.write("keys/second.json", Buffer.from(JSON.stringify(await wrapMasterKey(master, NEW, FAST_SCRYPT, new Date(), config))));
    const change = await changePassphrase(store, { currentPassphrase: OLD, newPassphrase: NEW, scrypt: FAST_SCRYPT });
    assert.deepEqual(change.removedKeyFileKeys.sort(), [`keys/${first}`, "keys/second.json"].sort());
    assert.equal(await opens(store, OLD), false);
    assert.ok(await opens(store, NEW));
  });

  it("two concurrent changes are serialized: one wins, the other finds its passphrase no longer opens anything", async () => {
    const { root, store } = await fresh();
    const results = await Promise.allSettled(
      ["first new", "second new"].map((newPassphrase) => changePassphrase(new LocalDirectoryBlobStore(root), { currentPassphrase: OLD, newPassphrase, scrypt: FAST_SCRYPT })),
    );
    const won = results.flatMap((result, index) => (result.status === "fulfilled" ? [index] : []));
    assert.equal(won.length, 1, "exactly one change succeeds");
    const lost = results.find((result) => result.status === "rejected");
    assert.ok(lost?.reason instanceof WrongPassphraseError);
    assert.equal((await readdir(join(root, "keys"))).length, 1);
    assert.ok(await opens(store, won[0] === 0 ? "first new" : "second new"));
    assert.equal(await opens(store, OLD), false);
  });

  it("a damaged key file stops the change before anything is written", async () => {
    const { root, store } = await fresh();
    await writeFile(join(root, "keys", "damaged.json"), "{ not json");
    const before = await snapshot(root);
    await assert.rejects(changePassphrase(store, { currentPassphrase: OLD, newPassphrase: NEW, scrypt: FAST_SCRYPT }), (error: unknown) => {
      assert.ok(error instanceof RepositoryFileError);
      assert.equal(error.problem, "corrupt");
      assert.match(error.message, /damaged\.json: is not a valid key file/);
      return true;
    });
    assert.deepEqual(await snapshot(root), before);
  });
});
