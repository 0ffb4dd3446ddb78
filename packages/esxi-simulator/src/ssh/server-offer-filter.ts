/**
 * ssh2's server adds to its KEXINIT what the profile does not list: `ssh-rsa` whenever it holds an RSA host
 * key (as the lowest preference), and `kex-strict-s-v00@openssh.com` always. A stock ESXi 8.0.2 sshd offers
 * no `ssh-rsa` host-key algorithm (esxi-facts §4), and OpenSSH before 9.6 knows no strict KEX, so a client
 * that relied on either would pass here and fail on a host. ssh2 has no option for this: the offer is
 * built inside its Server and handed to each connection's Protocol, which stores it as `_offer`. An
 * accessor on Protocol's prototype swaps in the offer minus those names for every server connection whose
 * identification string was registered here (the first read happens after the constructor has set the
 * identification). The exchange hash uses the same filtered offer, so the handshake stays valid; and
 * `_strictMode` is kept off where strict KEX is not offered (ssh2's server would follow the client alone).
 *
 * Registered per identification string: two servers in one process with the same banner share a rule.
 */
import { createRequire } from "node:module";

interface KexList {
  array: string[];
}
interface KexInitLike {
  lists: { kex: KexList; serverHostKey: KexList; cs: Record<"cipher" | "mac" | "compress" | "lang", KexList>; sc: Record<"cipher" | "mac" | "compress" | "lang", KexList> };
}
interface ProtocolLike {
  _server: boolean;
  _identRaw?: Buffer;
  [ORIGINAL]?: KexInitLike;
  [FILTERED]?: KexInitLike;
  [STRICT]?: boolean;
}

export interface ServerOfferRule {
  /** Host-key algorithms the server may offer; others (ssh2's extra `ssh-rsa`) are dropped. */
  hostKeyAlgorithms: readonly string[];
  /** Whether `kex-strict-s-v00@openssh.com` stays in the KEX list. */
  strictKex: boolean;
}

const ORIGINAL = Symbol("esxsim.originalOffer");
const FILTERED = Symbol("esxsim.filteredOffer");
const STRICT = Symbol("esxsim.strictMode");
const rules = new Map<string, ServerOfferRule>();
let installed = false;

/** Whether OpenSSH of this identification (`OpenSSH_9.1`) offers strict KEX (added in 9.6). */
export function identHasStrictKex(ident: string): boolean {
  const m = /^OpenSSH_(\d+)\.(\d+)/u.exec(ident);
  if (m === null) return true;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 9 || (major === 9 && minor >= 6);
}

/** Applies `rule` to every server connection that announces `SSH-2.0-<ident>`. */
export function restrictServerOffer(ident: string, rule: ServerOfferRule): void {
  rules.set(`SSH-2.0-${ident}`, { hostKeyAlgorithms: [...rule.hostKeyAlgorithms], strictKex: rule.strictKex });
  if (installed) return;
  const require = createRequire(import.meta.url);
  const Protocol = require("ssh2/lib/protocol/Protocol.js") as { prototype: object };
  const { KexInit } = require("ssh2/lib/protocol/kex.js") as { KexInit: new (obj: unknown) => KexInitLike };
  const filter = (offer: KexInitLike, rule: ServerOfferRule): KexInitLike => {
    const { lists } = offer;
    const pick = (l: KexList): string[] => [...l.array];
    return new KexInit({
      kex: lists.kex.array.filter((k) => rule.strictKex || k !== "kex-strict-s-v00@openssh.com"),
      serverHostKey: lists.serverHostKey.array.filter((k) => rule.hostKeyAlgorithms.includes(k)),
      cs: { cipher: pick(lists.cs.cipher), mac: pick(lists.cs.mac), compress: pick(lists.cs.compress), lang: pick(lists.cs.lang) },
      sc: { cipher: pick(lists.sc.cipher), mac: pick(lists.sc.mac), compress: pick(lists.sc.compress), lang: pick(lists.sc.lang) },
    });
  };
  Object.defineProperty(Protocol.prototype, "_offer", {
    configurable: true,
    get(this: ProtocolLike): KexInitLike | undefined {
      const cached = this[FILTERED];
      if (cached !== undefined) return cached;
      const original = this[ORIGINAL];
      if (original === undefined || this._identRaw === undefined) return original;
      const rule = this._server ? rules.get(this._identRaw.toString("latin1")) : undefined;
      const offer = rule === undefined ? original : filter(original, rule);
      this[FILTERED] = offer;
      return offer;
    },
    set(this: ProtocolLike, value: KexInitLike) {
      this[ORIGINAL] = value;
      delete this[FILTERED];
    },
  });
  // ssh2's server turns strict KEX on whenever the client asks for it (it always offers it itself); without
  // the offer the client stays non-strict, so the server must too or the sequence numbers part ways.
  Object.defineProperty(Protocol.prototype, "_strictMode", {
    configurable: true,
    get(this: ProtocolLike): boolean | undefined {
      return this[STRICT];
    },
    set(this: ProtocolLike, value: boolean | undefined) {
      const rule = this._server && this._identRaw !== undefined ? rules.get(this._identRaw.toString("latin1")) : undefined;
      if (value === undefined) delete this[STRICT];
      else this[STRICT] = value && (rule === undefined || rule.strictKex);
    },
  });
  installed = true;
}
