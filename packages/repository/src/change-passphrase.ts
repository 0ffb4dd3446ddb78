/**
 * Changing the passphrase of an encrypted repository (docs/repository-format.md §4). Only the key file
 * changes: the master key, and so every chunk, index and manifest, stays as it is. The change is two
 * durable steps, in this order:
 *
 * 1. a new key file wrapping the master key under the new passphrase (fresh salt and nonce) is written
 *    durably (the store's write: temporary file, fsync, rename, folder fsync);
 * 2. every other key file is removed.
 *
 * Why this order survives a crash: before step 1 completes the repository is untouched; between the steps
 * it holds the old key files and the new one, each opening the repository with its own passphrase, so
 * whichever passphrase the owner remembers still works; a crash during step 2 leaves a subset of the old
 * files, still each opening with its own passphrase. Running the same change again from any of these
 * states finishes it: the current passphrase still opens an old key file, and step 1 and 2 run again
 * (the key file left by the interrupted run is removed like any other). Once a change has finished, the
 * old passphrase opens nothing, which is the point of changing it.
 *
 * The whole change runs inside the repository mutex (§8), so two concurrent changes are serialized: the
 * second one sees the first one's key file and, if its current passphrase no longer opens anything, stops
 * with a wrong-passphrase error instead of removing the first one's key file.
 */
import { randomBytes } from "node:crypto";
import { InvalidInputError, systemClock, timerScheduler } from "@esxbackup/domain";
import type { Clock, Scheduler } from "@esxbackup/domain";
import type { BlobStore } from "./blob-store.js";
import { DEFAULT_SCRYPT, unwrapMasterKey, wrapMasterKey } from "./key-file.js";
import type { KeyBinding, KeyFile, ScryptParameters } from "./key-file.js";
import { readRepositoryConfig } from "./repository-config.js";
import type { RepositoryConfig } from "./repository-config.js";
import { RepositoryFileError } from "./repository-file-error.js";
import { CONFIG_KEY, KEYS_FOLDER, keyFileKey } from "./repository-layout.js";
import { withMutex } from "./repository-mutex.js";
import { WrongPassphraseError } from "./wrong-passphrase-error.js";

export interface ChangePassphraseOptions {
  currentPassphrase: string;
  newPassphrase: string;
  clock?: Clock;
  /** Timers (the mutex refreshes while the key derivation runs); default real timers. */
  scheduler?: Scheduler;
  /** Cost of the new key file's key derivation; default DEFAULT_SCRYPT. */
  scrypt?: ScryptParameters;
}

export interface PassphraseChange {
  /** Store key of the key file that now holds the master key ("keys/<keyId>.json"). */
  keyFileKey: string;
  /** Store keys of the key files removed (the one the current passphrase opened, and any others). */
  removedKeyFileKeys: string[];
}

/**
 * Rewraps the master key under `newPassphrase` and removes every other key file. Refuses, changing
 * nothing: a store without a repository, an unencrypted repository, an empty or unchanged new passphrase,
 * and a current passphrase that opens no key file (`WrongPassphraseError`).
 */
export async function changePassphrase(store: BlobStore, options: ChangePassphraseOptions): Promise<PassphraseChange> {
  const clock = options.clock ?? systemClock;
  const config = await requireEncrypted(store);
  if (options.currentPassphrase === "") throw new InvalidInputError("passphrase", "the repository is encrypted: give the current passphrase (--password-file or ESXBACKUP_PASSWORD)");
  if (options.newPassphrase === "") throw new InvalidInputError("new passphrase", "must not be empty");
  if (options.newPassphrase === options.currentPassphrase) throw new InvalidInputError("new passphrase", "is the same as the current one: nothing to change");
  return withMutex(store, { clock, scheduler: options.scheduler ?? timerScheduler }, async (held) => {
    const master = await unlock(store, options.currentPassphrase, config);
    let keyFile: KeyFile;
    try {
      keyFile = await wrapMasterKey(master, options.newPassphrase, options.scrypt ?? DEFAULT_SCRYPT, clock.now(), config);
    } finally {
      master.fill(0);
    }
    // A concurrent change may have entered if ours was judged dead meanwhile: then it must not lose its key file.
    await held.confirm();
    const newKey = keyFileKey(randomBytes(8).toString("hex"));
    await store.write(newKey, Buffer.from(JSON.stringify(keyFile, null, 2)));
    // Listed again rather than reusing what unlock saw: whatever is in keys/ now, except the new file, must go.
    const removedKeyFileKeys: string[] = [];
    for (const key of await listKeyFiles(store)) {
      if (key === newKey) continue;
      if (await store.remove(key)) removedKeyFileKeys.push(key);
    }
    return { keyFileKey: newKey, removedKeyFileKeys };
  });
}

async function requireEncrypted(store: BlobStore): Promise<RepositoryConfig> {
  const config = await readRepositoryConfig(store);
  if (config.encryption === "none") {
    throw new InvalidInputError("repository", `${store.locate(CONFIG_KEY)}: the repository is not encrypted, it has no passphrase to change`);
  }
  return config;
}

async function listKeyFiles(store: BlobStore): Promise<string[]> {
  return (await store.list(KEYS_FOLDER)).filter((name) => name.endsWith(".json")).map((name) => `${KEYS_FOLDER}/${name}`);
}

/**
 * The master key `passphrase` opens. Every key file is read, not only up to the first that opens: the
 * change removes them all afterwards, and one this program cannot read (damaged, or from a newer version)
 * stops the change before anything is written rather than being deleted unseen.
 */
async function unlock(store: BlobStore, passphrase: string, binding: KeyBinding): Promise<Buffer> {
  const keys = await listKeyFiles(store);
  if (keys.length === 0) throw new RepositoryFileError("missing", store.locate(KEYS_FOLDER), "holds no key file: the repository cannot be decrypted");
  let master: Buffer | undefined;
  for (const key of keys) {
    let opened: Buffer | undefined;
    try {
      opened = await unwrapMasterKey(JSON.parse((await store.read(key)).toString("utf8")) as KeyFile, passphrase, binding);
    } catch (error) {
      throw new RepositoryFileError("corrupt", store.locate(key), `is not a valid key file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    if (master === undefined) master = opened;
    else opened?.fill(0);
  }
  if (master === undefined) throw new WrongPassphraseError(store.locate(KEYS_FOLDER));
  return master;
}
