/**
 * What a stock ESXi sshd offers, per release: the identification banner, the algorithm lists and the user
 * key types it accepts. Source: esxi-facts.md §4. Only the ESXi 8.0.2 `sshd_config` and the 6.7 U3
 * `pubkeyacceptedkeytypes` are confirmed; where a value is not confirmed the stricter known list is used,
 * so that a client which works against the simulator also works against the real host.
 */
import type { EsxiVersion } from "../config/simulator-config.js";

export interface EsxiSshProfile {
  /** The part after `SSH-2.0-` (OpenSSH versions per release are [UNCONFIRMED]; plausible values). */
  ident: string;
  kex: string[];
  ciphers: string[];
  macs: string[];
  /** Host key algorithms in preference order (RSA and ECDSA keys only). */
  hostKeyAlgorithms: string[];
  /** Signature algorithms accepted for user public keys (`pubkeyacceptedkeytypes`). */
  userKeyAlgorithms: string[];
  /** OpenSSH's `MaxSessions` (default 10; ESXi does not set it). */
  maxSessionsPerConnection: number;
  /** OpenSSH's `maxstartups start:rate:full` (ESXi sets 10:30:100). */
  maxStartups: { start: number; ratePercent: number; full: number };
}

/** ESXi 8.0.2 `sshd_config` verbatim (FIPS mode: AES only, no chacha20, no ed25519). */
const ESXI8_KEX = [
  "ecdh-sha2-nistp256",
  "ecdh-sha2-nistp384",
  "ecdh-sha2-nistp521",
  "diffie-hellman-group-exchange-sha256",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group18-sha512",
  "diffie-hellman-group14-sha256",
];
const ESXI8_CIPHERS = ["aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"];
const ESXI8_MACS = ["hmac-sha2-256", "hmac-sha2-512"];
const ESXI8_HOST_KEYS = ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-256", "rsa-sha2-512"];
const ECDSA_USER_KEYS = ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];

const COMMON = {
  kex: ESXI8_KEX,
  // VMware: "SSH supports only 256-bit and 128-bit AES ciphers ... You cannot change these settings" (6.0 and
  // 8.0 Security guides), so no release offers chacha20-poly1305.
  ciphers: ESXI8_CIPHERS,
  macs: ESXI8_MACS,
  hostKeyAlgorithms: ESXI8_HOST_KEYS,
  maxSessionsPerConnection: 10,
  maxStartups: { start: 10, ratePercent: 30, full: 100 },
} as const;

const PROFILES: Record<EsxiVersion, EsxiSshProfile> = {
  // 6.7 U3 `sshd -T`: ssh-rsa (SHA-1) signatures still accepted; no ed25519.
  "6.7": {
    ...COMMON,
    kex: [...COMMON.kex],
    ciphers: [...COMMON.ciphers],
    macs: [...COMMON.macs],
    // OpenSSH 7.7 still offers SHA-1 RSA host-key signatures by default.
    hostKeyAlgorithms: [...COMMON.hostKeyAlgorithms, "ssh-rsa"],
    ident: "OpenSSH_7.7",
    userKeyAlgorithms: [...ECDSA_USER_KEYS, "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  },
  // 7.0: not confirmed; the 6.7 key list is assumed (no ed25519).
  "7.0": {
    ...COMMON,
    kex: [...COMMON.kex],
    ciphers: [...COMMON.ciphers],
    macs: [...COMMON.macs],
    // OpenSSH 8.3 still offers SHA-1 RSA host-key signatures by default (dropped in 8.8).
    hostKeyAlgorithms: [...COMMON.hostKeyAlgorithms, "ssh-rsa"],
    ident: "OpenSSH_8.3",
    userKeyAlgorithms: [...ECDSA_USER_KEYS, "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  },
  // 8.0.2: FIPS mode. ed25519 user keys refused, RSA 3072 accepted (SHA-2 signatures only).
  "8.0": {
    ...COMMON,
    kex: [...COMMON.kex],
    ciphers: [...COMMON.ciphers],
    macs: [...COMMON.macs],
    hostKeyAlgorithms: [...COMMON.hostKeyAlgorithms],
    ident: "OpenSSH_9.1",
    userKeyAlgorithms: [...ECDSA_USER_KEYS, "rsa-sha2-512", "rsa-sha2-256"],
  },
};

export function esxiSshProfile(version: EsxiVersion): EsxiSshProfile {
  const profile = PROFILES[version];
  return { ...profile, maxStartups: { ...profile.maxStartups } };
}
