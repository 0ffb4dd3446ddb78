/**
 * An SSH server that behaves like a stock ESXi host's sshd (esxi-facts.md §4):
 * - passwords only through keyboard-interactive (`passwordauthentication no`), with a `Password: ` prompt;
 *   a failure leaves the client with `Permission denied (publickey,keyboard-interactive)`; refused passwords
 *   lock the account as ESXi does (`account-lockout.ts`), and every attempt is in `loginAttempts`;
 * - public keys from `/etc/ssh/keys-<user>/authorized_keys` in the sandbox, limited to the release's
 *   accepted key types (no ed25519);
 * - RSA and ECDSA host keys only, the release's cipher / kex / MAC lists and an OpenSSH-like banner;
 * - `maxstartups start:rate:full` for unauthenticated connections and `MaxSessions` per connection;
 * - no port forwarding, no agent or X11 forwarding, no client environment (AcceptEnv is empty).
 *
 * It owns the TCP listener and hands each accepted socket to the ssh2 `Server` built from the current host
 * keys, so a key rotation takes effect at the next connection without closing the current ones.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { createServer } from "node:net";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import ssh2 from "ssh2";
import type { AuthContext, Connection, ServerChannel, Session } from "ssh2";
import type { SshUserConfig } from "../config/simulator-config.js";
import type { AccountLockout } from "./account-lockout.js";
import { authorizedKeysPath, readAuthorizedKeys } from "./authorized-keys.js";
import { dropAfterBytes, dropAfterReceivedBytes } from "./drop-after-bytes.js";
import type { EsxiSshProfile } from "./esxi-ssh-profile.js";
import type { HostKeyPair, HostKeyStore } from "./host-key-store.js";
import type { SessionContext, SessionRunner, TerminalRequest } from "./session-runner.js";
import type { SshFaultSettings } from "./ssh-faults.js";
import { identHasStrictKex, restrictServerOffer } from "./server-offer-filter.js";

/**
 * What a 6.x host's PAM stack told an SSH client whose account was locked (usmanghani.co, "ESXi 6.x root
 * account locked out"); [UNCONFIRMED] for 7.0 and 8.0, and whether it comes before the prompt.
 */
const LOCKED_ACCOUNT_MESSAGE = "/usr/lib/vmware/misc/bin/tally_vob.sh failed: exit code 1";

/** PAM's notice for an expired password, as pam_unix words it on Linux ([UNCONFIRMED] on ESXi). */
function passwordExpiredNotice(user: string): string {
  return `You are required to change your password immediately (administrator enforced)\nChanging password for ${user}.`;
}

/** What a failed attempt advertises; the client prints it as `Permission denied (…)`. */
const METHODS: AuthContext["method"][] = ["publickey", "keyboard-interactive"];

export interface EsxiSshServerOptions {
  profile: EsxiSshProfile;
  /** Overrides the profile's identification (the part after `SSH-2.0-`). */
  ident?: string;
  keyStore: HostKeyStore;
  users: readonly SshUserConfig[];
  /** The sandbox root (for authorized_keys). */
  rootDir: string;
  faults: SshFaultSettings;
  runner: SessionRunner;
  /** ESXi's lock on accounts after refused passwords. */
  lockout: AccountLockout;
  /** Injected randomness for maxstartups' random early drop. */
  random: () => number;
  onError: (error: unknown) => void;
}

/** TCP payload bytes of every connection (the SSH wire: encrypted packets, handshake included). */
export interface SshWireBytes {
  /** Bytes the host sent to its clients. */
  sentBytes: number;
  /** Bytes the host received from its clients. */
  receivedBytes: number;
}

/** One authentication request a client made, as sshd's auth.log would record it. */
export interface LoginAttempt {
  user: string;
  method: string;
  /**
   * `locked`: a password refused because the account is locked, whatever the password; `expired`: the
   * right password of an account whose password has expired (the change PAM then asks for is refused).
   */
  outcome: "accepted" | "refused" | "locked" | "expired";
}

export class EsxiSshServer {
  readonly #options: EsxiSshServerOptions;
  readonly #loginAttempts: LoginAttempt[] = [];
  readonly #listener: NetServer;
  readonly #sockets = new Set<Socket>();
  /** What closed connections carried; open ones are added when asked (`wireBytes`). */
  readonly #closedWire: SshWireBytes = { sentBytes: 0, receivedBytes: 0 };
  #ssh: ssh2.Server;
  #keys: HostKeyPair;
  #unauthenticated = 0;
  /** Per socket: called once when it leaves the unauthenticated state (login or close). */
  readonly #leaveStartup = new WeakMap<Socket, () => void>();

  private constructor(options: EsxiSshServerOptions, keys: HostKeyPair) {
    this.#options = options;
    this.#keys = keys;
    this.#ssh = this.#buildSshServer(keys);
    this.#listener = createServer((socket) => this.#accept(socket));
  }

  static async create(options: EsxiSshServerOptions): Promise<EsxiSshServer> {
    return new EsxiSshServer(options, await options.keyStore.load());
  }

  get hostKeyFingerprints(): string[] {
    return [...this.#keys.fingerprints];
  }

  /** Every authentication request so far, in order (a public key's "would this key do?" query included). */
  get loginAttempts(): readonly LoginAttempt[] {
    return this.#loginAttempts;
  }

  async listen(port: number, host = "127.0.0.1"): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once("error", reject);
      this.#listener.listen(port, host, () => {
        this.#listener.off("error", reject);
        resolve();
      });
    });
    return (this.#listener.address() as AddressInfo).port;
  }

  /** Bytes on the wire so far, closed and open connections together (what a benchmark counts per step). */
  get wireBytes(): SshWireBytes {
    let { sentBytes, receivedBytes } = this.#closedWire;
    for (const socket of this.#sockets) {
      sentBytes += socket.bytesWritten;
      receivedBytes += socket.bytesRead;
    }
    return { sentBytes, receivedBytes };
  }

  /** New host keys for the next connections; established connections keep theirs. */
  async rotateHostKeys(): Promise<void> {
    this.#keys = await this.#options.keyStore.rotate();
    this.#ssh = this.#buildSshServer(this.#keys);
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#listener.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #buildSshServer(keys: HostKeyPair): ssh2.Server {
    const { profile } = this.#options;
    const ident = this.#options.ident ?? profile.ident;
    restrictServerOffer(ident, { hostKeyAlgorithms: profile.hostKeyAlgorithms, strictKex: identHasStrictKex(ident) });
    const server = new ssh2.Server({
      hostKeys: keys.privateKeys,
      ident,
      algorithms: {
        kex: profile.kex as never,
        cipher: profile.ciphers as never,
        hmac: profile.macs as never,
        serverHostKey: profile.hostKeyAlgorithms as never,
        compress: ["none"],
      },
    });
    server.on("connection", (client, info) => this.#onConnection(client, `${info.ip} ${info.port} 127.0.0.1 0`));
    server.on("error", (error: unknown) => this.#options.onError(error));
    return server;
  }

  #accept(socket: Socket): void {
    const { start, ratePercent, full } = this.#options.profile.maxStartups;
    if (this.#unauthenticated >= start) {
      const dropPercent = this.#unauthenticated >= full ? 100 : ratePercent + ((100 - ratePercent) * (this.#unauthenticated - start)) / (full - start);
      if (this.#options.random() * 100 < dropPercent) {
        socket.destroy();
        return;
      }
    }
    this.#sockets.add(socket);
    this.#unauthenticated++;
    let authenticated = false;
    const leaveStartup = (): void => {
      if (!authenticated) {
        authenticated = true;
        this.#unauthenticated--;
      }
    };
    this.#leaveStartup.set(socket, leaveStartup);
    socket.on("close", () => {
      leaveStartup();
      this.#sockets.delete(socket);
      this.#closedWire.sentBytes += socket.bytesWritten;
      this.#closedWire.receivedBytes += socket.bytesRead;
    });
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
    const limit = this.#options.faults.dropConnectionAfterBytes;
    if (limit !== null) dropAfterBytes(socket, limit);
    const upload = this.#options.faults.dropConnectionsAfterReceivedBytes;
    if (upload !== null && upload.connections > 0) {
      dropAfterReceivedBytes(socket, upload.bytes);
      upload.connections -= 1;
      if (upload.connections === 0) this.#options.faults.dropConnectionsAfterReceivedBytes = null;
    }
    this.#ssh.injectSocket(socket);
  }

  #onConnection(client: Connection, connection: string): void {
    let user = "";
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      user = ctx.username;
      this.#authenticate(ctx).catch((error: unknown) => {
        this.#options.onError(error);
        ctx.reject(METHODS);
      });
    });
    client.on("ready", () => {
      // ssh2 keeps the socket as `_sock`; there is no public accessor.
      const socket = (client as unknown as { _sock?: Socket })._sock;
      if (socket !== undefined) this.#leaveStartup.get(socket)?.();
      let openSessions = 0;
      client.on("session", (accept, reject) => {
        if (openSessions >= this.#options.profile.maxSessionsPerConnection) {
          reject();
          return;
        }
        openSessions++;
        const session = accept();
        session.once("close", () => openSessions--);
        this.#onSession(session, { user, connection });
      });
    });
  }

  async #authenticate(ctx: AuthContext): Promise<void> {
    if (this.#options.faults.rejectLogins) {
      this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: "refused" });
      ctx.reject(METHODS);
      return;
    }
    const user = this.#options.users.find((u) => u.name === ctx.username);
    switch (ctx.method) {
      case "keyboard-interactive": {
        const { lockout } = this.#options;
        const locked = lockout.isLocked(ctx.username);
        // The lock is checked before the password is asked (pam_tally2 comes first in the stack); sshd puts
        // what PAM said on the lines before the prompt.
        ctx.prompt([{ prompt: `${locked ? `${LOCKED_ACCOUNT_MESSAGE}\n` : ""}Password: `, echo: false }], (answers) => {
          const given = answers[0];
          const right = !locked && user?.password !== undefined && given !== undefined && samePassword(given, user.password);
          if (right && user.passwordExpired === true) {
            lockout.recordSuccess(ctx.username);
            this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: "expired" });
            ctx.prompt([{ prompt: `${passwordExpiredNotice(ctx.username)}\nCurrent password: `, echo: false }], () => ctx.reject(METHODS));
          } else if (right && !this.#options.faults.rejectLogins && this.#takeLogin()) {
            lockout.recordSuccess(ctx.username);
            this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: "accepted" });
            ctx.accept();
          } else {
            lockout.recordFailure(ctx.username);
            this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: locked ? "locked" : "refused" });
            const notice = this.#options.faults.noticeAfterRefusedPassword;
            if (notice === null) ctx.reject(METHODS);
            else ctx.prompt([], "", notice, () => ctx.reject(METHODS));
          }
        });
        return;
      }
      case "publickey": {
        const signatureAlgorithm = ctx.key.algo === "ssh-rsa" ? rsaSignatureAlgorithm(ctx.hashAlgo) : ctx.key.algo;
        if (user === undefined || !this.#options.profile.userKeyAlgorithms.includes(signatureAlgorithm)) {
          this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: "refused" });
          ctx.reject(METHODS);
          return;
        }
        const keys = await readAuthorizedKeys(authorizedKeysPath(this.#options.rootDir, user.name));
        const key = keys.find((k) => k.blob.equals(ctx.key.data));
        // No signature: "would this key do?", which is not a login yet.
        const accepted = key !== undefined && (ctx.signature === undefined || ctx.blob === undefined || (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) && this.#takeLogin()));
        this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: accepted ? "accepted" : "refused" });
        if (accepted) ctx.accept();
        else ctx.reject(METHODS);
        return;
      }
      default:
        // "none", "password" (passwordauthentication no) and "hostbased".
        this.#loginAttempts.push({ user: ctx.username, method: ctx.method, outcome: "refused" });
        ctx.reject(METHODS);
    }
  }

  /** Whether `faults.loginsLeft` allows one more login (and counts it). */
  #takeLogin(): boolean {
    const left = this.#options.faults.loginsLeft;
    if (left === null) return true;
    if (left <= 0) return false;
    this.#options.faults.loginsLeft = left - 1;
    return true;
  }

  #onSession(session: Session, base: { user: string; connection: string }): void {
    let pty: TerminalRequest | undefined;
    const context = (): SessionContext => ({ ...base, pty, throttleBytesPerSecond: this.#options.faults.throttleBytesPerSecond });
    session.on("pty", (accept, _reject, info) => {
      pty = { term: info.term, rows: info.rows, cols: info.cols };
      accept?.();
    });
    session.on("window-change", (accept) => accept?.());
    session.on("env", (_accept, reject) => reject?.());
    session.on("exec", (accept, _reject, info) => this.#options.runner.exec(info.command, accept(), context()));
    session.on("shell", (accept) => this.#options.runner.shell(accept(), context()));
    session.on("subsystem", (accept, reject, info) => {
      if (info.name === "sftp" && this.#options.runner.sftpAvailable) this.#options.runner.sftp(accept(), context());
      else reject();
    });
  }
}

function rsaSignatureAlgorithm(hashAlgo: string | undefined): string {
  if (hashAlgo === "sha256") return "rsa-sha2-256";
  if (hashAlgo === "sha512") return "rsa-sha2-512";
  return "ssh-rsa";
}

function samePassword(given: string, expected: string): boolean {
  // Compare digests so the comparison takes the same time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export type { ServerChannel };
