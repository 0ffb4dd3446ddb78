/**
 * Test support for the commands that log in to a host (hosts trust, inventory): a throw-away folder holding
 * a password file (the password has a space and both quotes, so it could not survive a command line), a
 * file with a wrong one, and the path of a known-hosts file of its own. The caller removes `work`.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface HostLoginFixture {
  readonly work: string;
  readonly password: string;
  readonly passwordFile: string;
  readonly wrongPasswordFile: string;
  readonly knownHosts: string;
}

export function hostLoginFixture(prefix: string): HostLoginFixture {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const password = `${randomBytes(12).toString("base64url")} $'"`;
  const passwordFile = join(work, "password");
  const wrongPasswordFile = join(work, "wrong");
  writeFileSync(passwordFile, `${password}\n`);
  writeFileSync(wrongPasswordFile, "not-the-password\n");
  return { work, password, passwordFile, wrongPasswordFile, knownHosts: join(work, "known_hosts") };
}
