/**
 * What our SSH client offers to a stock ESXi sshd, per release (esxi-facts §4). Only ESXi 8.0.2's
 * `sshd_config` is known verbatim; its lists are the core of every set. 6.7 and 7.0 run older OpenSSH
 * (7.7–8.x) whose defaults also allow SHA-1 (group14-sha1, hmac-sha1, ssh-rsa host keys): those are offered
 * to them last, as a fallback only, so that a host whose settings differ from 8.0.2's still negotiates.
 *
 * Order is our preference, and ssh2 picks the first of ours the server has: AES-GCM first (about half the
 * receiving CPU of CTR+HMAC on this hardware, environment.md), aes128 before aes256 (the bulk data path is
 * CPU-bound), ECDSA host keys before RSA (ESXi's clients pin ECDSA). No release offers chacha20-poly1305 or
 * ed25519 (VMware: AES only; FIPS mode on 8.0), so offering them would only be noise.
 */
import type { EsxiVersion } from "@esxbackup/domain";
import type { CipherAlgorithm, KexAlgorithm, MacAlgorithm, ServerHostKeyAlgorithm } from "ssh2";

export interface EsxiSshAlgorithms {
  kex: KexAlgorithm[];
  cipher: CipherAlgorithm[];
  hmac: MacAlgorithm[];
  serverHostKey: ServerHostKeyAlgorithm[];
}

/** ESXi 8.0.2 `sshd_config`, verbatim lists in our preference order. */
const ESXI_8_0: EsxiSshAlgorithms = {
  kex: [
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
  ],
  cipher: ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"],
  hmac: ["hmac-sha2-256", "hmac-sha2-512"],
  serverHostKey: ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256"],
};

/** 6.7 / 7.0: 8.0.2's lists, then the SHA-1 algorithms their OpenSSH still allowed (fallback only). */
const ESXI_6_7_AND_7_0: EsxiSshAlgorithms = {
  kex: [...ESXI_8_0.kex, "diffie-hellman-group14-sha1"],
  cipher: [...ESXI_8_0.cipher],
  hmac: [...ESXI_8_0.hmac, "hmac-sha1"],
  serverHostKey: [...ESXI_8_0.serverHostKey, "ssh-rsa"],
};

const SETS: Record<EsxiVersion, EsxiSshAlgorithms> = {
  "6.7": ESXI_6_7_AND_7_0,
  "7.0": ESXI_6_7_AND_7_0,
  "8.0": ESXI_8_0,
};

/**
 * The algorithms to offer a host of this release; without a release (first contact, before the probe has
 * run) the widest set, which negotiates the same strong algorithms with any of them.
 */
export function esxiSshAlgorithms(version?: EsxiVersion): EsxiSshAlgorithms {
  const set = version === undefined ? ESXI_6_7_AND_7_0 : SETS[version];
  return { kex: [...set.kex], cipher: [...set.cipher], hmac: [...set.hmac], serverHostKey: [...set.serverHostKey] };
}
