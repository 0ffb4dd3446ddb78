// Identity files ESXi would refuse are named as such before connecting: a table over keys made by the real
// ssh-keygen, and the connection refusing to start with one.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InvalidInputError } from "@esxbackup/domain";
import { esxiSshAlgorithms } from "./esxi-ssh-algorithms.js";
import { openSshConnection } from "./open-ssh-connection.js";
import { userKeyProblem } from "./user-key-problem.js";

const folder = mkdtempSync(join(tmpdir(), "user-keys-"));
after(() => rmSync(folder, { recursive: true, force: true }));

/** A fresh key file from ssh-keygen: `-t TYPE` plus extra arguments, no passphrase unless given. */
function keyFile(name: string, args: string[], passphrase = ""): Buffer {
  execFileSync("ssh-keygen", ["-q", ...args, "-N", passphrase, "-C", "", "-f", join(folder, name)]);
  return readFileSync(join(folder, name));
}

test("RSA and ECDSA keys can be offered; ed25519, encrypted, public and non-key files are each named", () => {
  const cases: { name: string; key: Buffer; passphrase?: string; problem: RegExp | undefined }[] = [
    { name: "RSA, OpenSSH format", key: keyFile("rsa", ["-t", "rsa", "-b", "2048"]), problem: undefined },
    { name: "RSA, PEM format", key: keyFile("rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]), problem: undefined },
    { name: "ECDSA P-256", key: keyFile("ecdsa", ["-t", "ecdsa", "-b", "256"]), problem: undefined },
    { name: "ECDSA P-384", key: keyFile("ecdsa384", ["-t", "ecdsa", "-b", "384"]), problem: undefined },
    { name: "ed25519", key: keyFile("ed25519", ["-t", "ed25519"]), problem: /^is a ssh-ed25519 key, which ESXi refuses: its sshd accepts RSA and ECDSA keys only$/u },
    { name: "encrypted, no passphrase", key: keyFile("enc", ["-t", "ecdsa", "-b", "256"], "secret"), problem: /^not a private key that can be used \(.*passphrase.*\)/u },
    { name: "encrypted, its passphrase", key: readFileSync(join(folder, "enc")), passphrase: "secret", problem: undefined },
    { name: "the public half", key: readFileSync(join(folder, "rsa.pub")), problem: /^is a public key; give the private key$/u },
    { name: "a password file", key: Buffer.from("hunter2\n"), problem: /^not a private key that can be used \(Unsupported key format\); give an RSA or ECDSA key/u },
  ];
  for (const { name, key, passphrase, problem } of cases) {
    const found = userKeyProblem(key, passphrase);
    if (problem === undefined) assert.equal(found, undefined, name);
    else assert.match(found ?? "(none)", problem, name);
  }
});

test("a connection given an ed25519 key refuses before connecting, as bad input", async () => {
  const key = readFileSync(join(folder, "ed25519"));
  // Port 1 on loopback: nothing listens, so an attempt to connect would fail differently.
  await assert.rejects(
    async () => openSshConnection({ target: { host: "127.0.0.1", port: 1, user: "root", privateKey: key }, algorithms: esxiSshAlgorithms(), checkHostKey: async () => undefined, connectTimeoutMs: 5000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 4 }),
    (error: unknown) => error instanceof InvalidInputError && error.message.startsWith("identity file: is a ssh-ed25519 key"),
  );
});
