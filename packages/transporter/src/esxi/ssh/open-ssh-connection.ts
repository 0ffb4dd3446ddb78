/**
 * One authenticated ssh2 connection to an ESXi host: algorithms offered, the host key checked before any
 * credential is sent, then public key → keyboard-interactive → password, in that order, each only when the
 * host still allows it, and the password sent once at most (every refused one counts toward ESXi's account
 * lock, `Security.AccountLockFailures`). ssh2's failures come back as our typed errors. The caller owns the returned client
 * (attaches its own error/close listeners at once, ends it).
 */
import { InvalidInputError } from "@esxbackup/domain";
import { Client } from "ssh2";
import type { AnyAuthMethod, AuthenticationType, NegotiatedAlgorithms, NextAuthHandler, VerifyCallback } from "ssh2";
import { answerPasswordPrompts, noteHostWords } from "./answer-password-prompts.js";
import type { PromptState } from "./answer-password-prompts.js";
import type { RefusedLogin } from "./describe-refused-login.js";
import type { EsxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import type { EsxiSshError} from "./esxi-ssh-errors.js";
import { SshAuthError, SshConnectError } from "./esxi-ssh-errors.js";
import type { EsxiSshTarget } from "./esxi-ssh-target.js";
import { targetLabel } from "./esxi-ssh-target.js";
import type { HostKey } from "./host-key.js";
import { hostKeyFromBlob } from "./host-key.js";
import { observePromptFreeRounds } from "./prompt-free-rounds.js";
import { userKeyProblem } from "./user-key-problem.js";

export interface OpenSshConnectionOptions {
  target: EsxiSshTarget;
  algorithms: EsxiSshAlgorithms;
  /** Decides on the presented key before authentication: an error refuses the connection with that error. */
  checkHostKey: (key: HostKey) => Promise<EsxiSshError | undefined>;
  /** Handshake plus login. */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export interface OpenSshConnection {
  client: Client;
  negotiated: NegotiatedAlgorithms;
  hostKey: HostKey;
}

/**
 * Why a reachable ESXi host refuses the TCP connection, almost always: its SSH service is stopped. It is off
 * after installation, and `UserVars.ESXiShellTimeOut` stops it again once its time has passed, leaving open
 * sessions alone (vSphere 7.0 Host Client and 6.7 Security guides) — so a reconnection in the middle of a
 * long backup can meet it too.
 */
const SSH_SERVICE_OFF = "is the host's SSH service (TSM-SSH) running? ESXi starts with it stopped, and UserVars.ESXiShellTimeOut stops it again after that many seconds (open sessions go on; new ones are refused)";

export function openSshConnection(options: OpenSshConnectionOptions): Promise<OpenSshConnection> {
  const { target } = options;
  const label = targetLabel(target);
  const client = new Client();
  const tried: string[] = [];
  const prompts: PromptState = { passwordGiven: false, hostSaid: [] };
  let unanswered: RefusedLogin["unanswered"];
  let hostMethods: string[] | undefined;
  let refusal: EsxiSshError | undefined;
  let negotiated: NegotiatedAlgorithms | undefined;
  let hostKey: HostKey | undefined;
  /** The host key the first key exchange verified; every later exchange on this connection must present it. */
  let verifiedBlob: Buffer | undefined;
  const methods = authMethods(target, prompts, (question) => (unanswered = question));
  const refusedLogin = (): RefusedLogin => ({
    user: target.user,
    methodsTried: tried,
    hostMethods,
    passwordSent: prompts.passwordGiven || tried.includes("password"),
    keyOffered: tried.includes("publickey"),
    unanswered,
    hostSaid: prompts.hostSaid,
  });

  return new Promise<OpenSshConnection>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      client.removeAllListeners("ready");
      client.on("error", () => undefined);
      client.destroy();
      reject(error);
    };
    client.once("handshake", (algorithms) => (negotiated = algorithms));
    client.on("error", (error: Error & { level?: string }) => {
      if (refusal !== undefined) return fail(refusal);
      if (error.level === "client-authentication") return fail(new SshAuthError(label, refusedLogin()));
      if (error.level === "client-timeout") {
        // After the password went out, the silence may be the host refusing it slowly: not tried again.
        if (prompts.passwordGiven || tried.includes("password")) {
          return fail(new SshConnectError(label, `no answer to the password within ${options.connectTimeoutMs} ms; not tried again, as a refused password counts toward the account's lock`, { cause: error, retryable: false }));
        }
        // No key exchange yet: the host's SSH server never answered (a firewall dropping the packets, or a
        // service that accepts and hangs), which a person checks elsewhere than a slow login.
        if (negotiated === undefined) {
          return fail(new SshConnectError(label, `no SSH handshake within ${options.connectTimeoutMs} ms; is the address right, and is port ${target.port ?? 22} open (ESXi's firewall: the sshServer ruleset)?`, { cause: error }));
        }
        return fail(new SshConnectError(label, `no login within ${options.connectTimeoutMs} ms`, { cause: error }));
      }
      const refused = (error as NodeJS.ErrnoException).code === "ECONNREFUSED" ? `; ${SSH_SERVICE_OFF}` : "";
      fail(new SshConnectError(label, `${redact(error.message, target)}${refused}`, { cause: error }));
    });
    client.once("close", () => fail(refusal ?? new SshConnectError(label, "the host closed the connection before the login completed")));
    client.once("ready", () => {
      if (negotiated === undefined || hostKey === undefined) return fail(new SshConnectError(label, "login completed without a key exchange"));
      settled = true;
      client.removeAllListeners("close");
      client.removeAllListeners("error");
      resolve({ client, negotiated, hostKey });
    });
    client.connect({
      host: target.host,
      port: target.port ?? 22,
      username: target.user,
      algorithms: { ...options.algorithms, compress: ["none"] },
      hostVerifier: (blob: Buffer, verify: VerifyCallback): void => {
        // ssh2 asks again at every key exchange, and sshd starts a new one now and then while channels carry
        // data (ESXi 8.0.2: `rekeylimit 1G, 1H`, every gigabyte or hour). ssh2 mishandles an answer given
        // after it returns then: the next packets go out under the wrong keys and the host drops the
        // connection as corrupt. So only the first exchange is checked against the pins (which takes file
        // I/O); a later one is answered at once: the key already verified on this connection, and no other.
        if (verifiedBlob !== undefined) return verify(blob.equals(verifiedBlob));
        let key: HostKey;
        try {
          key = hostKeyFromBlob(blob);
        } catch (error) {
          refusal = new SshConnectError(label, "the host sent a malformed host key", { cause: error });
          return verify(false);
        }
        hostKey = key;
        options.checkHostKey(key).then(
          (problem) => {
            refusal = problem;
            if (problem === undefined) verifiedBlob = Buffer.from(blob);
            verify(problem === undefined);
          },
          (error: unknown) => {
            refusal = new SshConnectError(label, "checking the host key failed", { cause: error });
            verify(false);
          },
        );
      },
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
        if (methodsLeft !== null) hostMethods = [...methodsLeft];
        for (let method = methods.shift(); method !== undefined; method = methods.shift()) {
          // A password keyboard-interactive already gave and the host refused is not sent again: on a host
          // that also allows the `password` method it would be a second failed login against the lock. Nor
          // after a question left unanswered (an expired password's change): the login stops there.
          if (method.type === "password" && (prompts.passwordGiven || unanswered !== undefined)) continue;
          if (methodsLeft === null || methodsLeft.includes(method.type)) {
            tried.push(method.type);
            return next(method);
          }
        }
        // ssh2 takes `false` for "no more methods"; its types do not say so.
        next(false as unknown as AuthenticationType);
      },
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
    });
    // What PAM says after the password (a refusal's reason) comes in a round without prompts.
    observePromptFreeRounds(client, (round) => noteHostWords(round, prompts));
  });
}

function authMethods(target: EsxiSshTarget, prompts: PromptState, unanswered: (question: NonNullable<RefusedLogin["unanswered"]>) => void): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  const username = target.user;
  if (target.privateKey !== undefined) {
    // Said before connecting: offered anyway, the host's answer would only be "login refused".
    const problem = userKeyProblem(target.privateKey, target.passphrase);
    if (problem !== undefined) throw new InvalidInputError("identity file", problem);
    methods.push({ type: "publickey", username, key: target.privateKey, ...(target.passphrase !== undefined ? { passphrase: target.passphrase } : {}) });
  }
  const password = target.password;
  if (password !== undefined) {
    methods.push({
      type: "keyboard-interactive",
      username,
      prompt: (name, instructions, _lang, questions, finish) => {
        const reply = answerPasswordPrompts({ name, instructions, prompts: questions }, password, prompts);
        if ("unexpected" in reply) {
          unanswered({ question: reply.unexpected, newPasswordAsked: reply.newPasswordAsked });
          return finish([]);
        }
        finish(reply.answers);
      },
    });
    methods.push({ type: "password", username, password });
  }
  return methods;
}

/** Foreign messages should never hold a credential; this makes sure of it. */
export function redact(text: string, target: Pick<EsxiSshTarget, "password" | "passphrase">): string {
  let out = text;
  for (const secret of [target.password, target.passphrase]) {
    if (secret !== undefined && secret !== "") out = out.split(secret).join("[redacted]");
  }
  return out;
}
