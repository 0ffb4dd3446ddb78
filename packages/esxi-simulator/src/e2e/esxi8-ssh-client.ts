/**
 * How a backup client talks to a stock ESXi 8 host with the real OpenSSH client: the algorithm lists of the
 * ESXi 8.0.2 `sshd_config` (esxi-facts §4, [verbatim]), written out here independently of the simulator's
 * own server profile so that the test checks the server against the documented host, not against itself.
 */
import type { SshRunOptions } from "../ssh/openssh-test-client.js";

const ESXI8_CIPHERS = "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr";
const ESXI8_KEX = "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
const ESXI8_MACS = "hmac-sha2-256,hmac-sha2-512";
const ESXI8_HOST_KEY_ALGORITHMS = "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512";

/** `ssh` arguments restricting the client to what an ESXi 8.0.2 host offers. */
export const ESXI8_CLIENT_ARGS: string[] = [
  "-c", ESXI8_CIPHERS,
  "-o", `KexAlgorithms=${ESXI8_KEX}`,
  "-o", `MACs=${ESXI8_MACS}`,
  "-o", `HostKeyAlgorithms=${ESXI8_HOST_KEY_ALGORITHMS}`,
  "-o", "PreferredAuthentications=keyboard-interactive",
];

/** Options for `OpenSshTestClient.run`/`spawn`: ESXi 8 algorithms, keyboard-interactive password. */
export function esxi8Session(password: string): SshRunOptions {
  return { password, args: ESXI8_CLIENT_ARGS };
}

/** Quotes one word for a POSIX shell (busybox ash on the host). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/gu, `'\\''`)}'`;
}
