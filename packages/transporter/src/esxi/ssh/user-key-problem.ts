/**
 * Whether a private key given to log in with can work on ESXi, decided before connecting: ESXi's sshd
 * accepts RSA and ECDSA user keys only (esxi-facts §4: 6.7 U3's `pubkeyacceptedkeytypes` lists ECDSA and
 * RSA; 8.0.2 in FIPS mode refused an ed25519 key; DSA keys are refused since 6.0 U2). A key ssh2 cannot read
 * (not a key at all, or encrypted without its passphrase) or of another type would only come back as "login
 * refused (tried publickey)", which sends the user looking at the host; this names the file's problem.
 */
import ssh2 from "ssh2";

/** The user key types every supported ESXi release accepts. */
const ESXI_USER_KEY_TYPES: readonly string[] = ["ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];

/** Why this key cannot log in to an ESXi host, or undefined when it can be offered. */
export function userKeyProblem(key: Buffer | string, passphrase?: Buffer | string): string | undefined {
  const parsed = ssh2.utils.parseKey(key, passphrase);
  if (parsed instanceof Error) return `not a private key that can be used (${parsed.message}); give an RSA or ECDSA key in OpenSSH or PEM format`;
  const type = parsed.type;
  if (!ESXI_USER_KEY_TYPES.includes(type)) return `is a ${type} key, which ESXi refuses: its sshd accepts RSA and ECDSA keys only`;
  if (parsed.isPrivateKey() !== true) return "is a public key; give the private key";
  return undefined;
}
