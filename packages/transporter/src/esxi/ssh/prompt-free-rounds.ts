/**
 * The words of keyboard-interactive rounds that ask nothing. sshd sends what PAM says after the last
 * question alone, in a round without prompts (OpenSSH's `sshpam_query`: messages left when PAM ends, a
 * refusal's above all): a lock notice from a module that speaks after the password check (Linux-PAM's
 * pam_faillock: `The account is locked due to 5 failed logins.`), a notice before a success. ssh2 answers
 * such a round itself and drops its words, so the host's reason for a refusal would never reach the user.
 *
 * ssh2 has no public way to see them: this wraps the handler its protocol object calls for every
 * `USERAUTH_INFO_REQUEST`, reads the round when it has no prompts, and leaves ssh2's own handling as it was.
 * It relies on ssh2's internals (`Client#_protocol._handlers`, 1.x); where they are not as expected it
 * does nothing (and returns false), and a test on the installed ssh2 fails if an upgrade moves them.
 */
import type { Client } from "ssh2";
import type { KeyboardRound } from "./answer-password-prompts.js";

type InfoRequestHandler = (protocol: unknown, name: unknown, instructions: unknown, prompts: unknown) => unknown;

interface Ssh2ClientInternals {
  _protocol?: { _handlers?: Record<string, unknown> };
}

/**
 * Calls `onRound` with every round without prompts the host sends on this connection, before ssh2 answers
 * it. Call it right after `client.connect()`, which creates the protocol object; returns whether it could.
 */
export function observePromptFreeRounds(client: Client, onRound: (round: KeyboardRound) => void): boolean {
  const handlers = (client as unknown as Ssh2ClientInternals)._protocol?._handlers;
  const original = handlers?.USERAUTH_INFO_REQUEST;
  if (handlers === undefined || typeof original !== "function") return false;
  const answerAsSsh2Does = original as InfoRequestHandler;
  handlers.USERAUTH_INFO_REQUEST = ((protocol, name, instructions, prompts) => {
    if (!Array.isArray(prompts) || prompts.length === 0) {
      onRound({ ...(typeof name === "string" ? { name } : {}), ...(typeof instructions === "string" ? { instructions } : {}), prompts: [] });
    }
    return answerAsSsh2Does(protocol, name, instructions, prompts);
  }) satisfies InfoRequestHandler;
  return true;
}
