/**
 * The AES-256-GCM keys envelopes are sealed with (docs/repository-format.md §5, ADR 0007). In a version-3
 * repository nothing is sealed with the data key itself: every writer session picks a random 16-byte id and
 * seals with `HKDF-SHA-256(dataKey, salt = session id, info = "esxbackup envelope key v3")`, recording the
 * id in each envelope's header, and starts a new session after `SESSION_MESSAGE_LIMIT` envelopes. Random
 * 96-bit nonces are then drawn at most that many times per key, whatever the repository's size or age.
 * Versions 1–2 seal with the data key (envelope version 1, no session).
 *
 * Only this object (on the main thread) holds the data key; workers get the one subkey a job needs.
 */
import { hkdfSync, randomBytes } from "node:crypto";
import { SESSION_ID_BYTES } from "./envelope.js";
import type { EnvelopeVersion, Opening, Sealing } from "./envelope.js";

/**
 * Envelopes sealed under one session key before a new session starts: 2^28, so the chance that two of its
 * random nonces collide stays below 2^-41 (q² / 2^97); at the 4 KiB minimum chunk size that is 1 TiB of new
 * data per session, at the 256 KiB default 64 TiB.
 */
export const SESSION_MESSAGE_LIMIT = 2 ** 28;
const SUBKEY_INFO = Buffer.from("esxbackup envelope key v3");
/** Derived keys remembered for reading: a repository holds one session per writer process and worker. */
const MAX_CACHED_SUBKEYS = 4096;

export function deriveSessionKey(dataKey: Uint8Array, sessionId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", dataKey, sessionId, SUBKEY_INFO, 32));
}

export class SessionKeys {
  readonly version: EnvelopeVersion;
  readonly #dataKey: Buffer | undefined;
  readonly #random: (bytes: number) => Buffer;
  readonly #limit: number;
  readonly #opening = new Map<string, Buffer>();
  #current: { key: Buffer; sessionId: Buffer; used: number } | undefined;
  #wiped = false;

  /** `dataKey` undefined: an unencrypted repository (envelopes carry no key, but still a version). */
  constructor(version: EnvelopeVersion, dataKey: Buffer | undefined, options: { random?: (bytes: number) => Buffer; limit?: number } = {}) {
    this.version = version;
    this.#dataKey = dataKey;
    this.#random = options.random ?? randomBytes;
    this.#limit = options.limit ?? SESSION_MESSAGE_LIMIT;
  }

  get encrypted(): boolean {
    return this.#dataKey !== undefined;
  }

  /** How to seal the next `messages` envelopes (all under one key: a run is never split across sessions). */
  sealing(messages = 1): Sealing {
    const dataKey = this.#live();
    if (dataKey === undefined) return { version: this.version };
    if (this.version === 1) return { version: 1, cipher: { key: dataKey, sessionId: Buffer.alloc(0) } };
    if (this.#current === undefined || this.#current.used + messages > this.#limit) {
      const sessionId = this.#random(SESSION_ID_BYTES);
      this.#current = { key: deriveSessionKey(dataKey, sessionId), sessionId, used: 0 };
    }
    this.#current.used += messages;
    return { version: 2, cipher: { key: this.#current.key, sessionId: this.#current.sessionId } };
  }

  /** The key that opens an envelope of session `sessionId` (empty for version 1). */
  keyFor(sessionId: Buffer): Buffer {
    const dataKey = this.#live();
    if (dataKey === undefined) throw new Error("the repository is not encrypted");
    if (this.version === 1) return dataKey;
    const name = sessionId.toString("hex");
    let key = this.#opening.get(name);
    if (key === undefined) {
      key = deriveSessionKey(dataKey, sessionId);
      if (this.#opening.size >= MAX_CACHED_SUBKEYS) this.#opening.clear();
      this.#opening.set(name, key);
    }
    return key;
  }

  get opening(): Opening {
    return this.encrypted ? { version: this.version, keyFor: (sessionId) => this.keyFor(sessionId) } : { version: this.version };
  }

  /** Overwrites every key this object holds; it cannot be used afterwards. */
  wipe(): void {
    this.#dataKey?.fill(0);
    this.#current?.key.fill(0);
    for (const key of this.#opening.values()) key.fill(0);
    this.#opening.clear();
    this.#current = undefined;
    this.#wiped = true;
  }

  #live(): Buffer | undefined {
    if (this.#wiped) throw new Error("the repository's keys were wiped: it is closed");
    return this.#dataKey;
  }
}
