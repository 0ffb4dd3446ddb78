/**
 * What to tell a person whose login an ESXi host refused: what was tried, what the host said, and the
 * causes that fit what happened, without picking one the host did not name. A refused password looks the
 * same on the wire whether it was wrong, the account is locked, lockdown mode refuses the user, or the user
 * may not use the shell (sshd answers `Permission denied` in each case), so those are listed, with the
 * defaults that say how long a lock lasts. Pure: the login's record in, a sentence out.
 */
export interface RefusedLogin {
  user: string;
  /** Methods offered, in order (`publickey`, `keyboard-interactive`, `password`). */
  methodsTried: string[];
  /** The methods the host last said it accepts (from its failure message), when it said. */
  hostMethods: string[] | undefined;
  /** The password was sent (answered to a password prompt, or with the `password` method). */
  passwordSent: boolean;
  keyOffered: boolean;
  /** A question the host asked that was not answered. */
  unanswered: { question: string; newPasswordAsked: boolean } | undefined;
  /** The host's own words during the login (PAM messages, keyboard-interactive instructions). */
  hostSaid: string[];
}

/**
 * ESXi's lockout (vSphere Security guides; KB of 6.0 and later): since 6.0 a local account is locked for
 * SSH and the API after `Security.AccountLockFailures` failed logins, for `Security.AccountUnlockTime`
 * seconds (6.0: 10 and 120; 6.5 and later: 5 and 900), while the console (DCUI) still logs in. A locked
 * account refuses the right password too.
 */
function passwordCauses(user: string): string {
  // sshd answers a root login it does not permit (`PermitRootLogin no`) as it answers a wrong password.
  const role = user === "root" ? ", or its sshd may not permit root logins (PermitRootLogin)" : `, or ${user} may lack the Administrator role or shell access`;
  return (
    "if the password is right, the account may be locked after repeated failed logins (ESXi locks it after Security.AccountLockFailures failures, 5 by default, " +
    `for Security.AccountUnlockTime seconds, 900 by default; the host's console still logs in), or the host may be in lockdown mode (only its exception users log in)${role}. ` +
    "Not tried again: each refused password counts toward the lock"
  );
}

/**
 * Words of ESXi's lock in what PAM tells the client: pam_tally2's helper failing on a locked 6.x account
 * (`/usr/lib/vmware/misc/bin/tally_vob.sh failed: exit code 1`, usmanghani.co), `Account locked due to N
 * failed logins` (pam_tally2), `The account is locked due to N failed logins.` (pam_faillock).
 */
const LOCK_WORDS = /\b(tally\w*|locked)\b/iu;

function lockedAccount(user: string): string {
  return (
    "it refuses even the right password until Security.AccountUnlockTime has passed since the last failure (900 s by default), " +
    `or until the count is reset in the ESXi Shell at the host's console (on 6.x: pam_tally2 --user ${user} --reset). Not tried again: each attempt extends the lock`
  );
}

/** A host's words are quoted, not its whole banner: so many lines, each so long at most. */
const HOST_LINES_QUOTED = 4;
const HOST_LINE_CHARS = 200;

function clip(line: string): string {
  return line.length <= HOST_LINE_CHARS ? line : `${line.slice(0, HOST_LINE_CHARS)}…`;
}

export function describeRefusedLogin(login: RefusedLogin): string {
  const tried = login.methodsTried.length > 0 ? login.methodsTried.join(", ") : "no method";
  const hostSaid = login.hostSaid.length > 0 ? `; the host said: ${login.hostSaid.slice(0, HOST_LINES_QUOTED).map((line) => JSON.stringify(clip(line))).join(" ")}${login.hostSaid.length > HOST_LINES_QUOTED ? " …" : ""}` : "";
  const head = `login as ${login.user} refused (tried ${tried}${login.hostMethods === undefined ? "" : `; the host accepts ${login.hostMethods.join(", ") || "nothing"}`})${hostSaid}`;
  if (login.unanswered !== undefined) {
    if (login.unanswered.newPasswordAsked) {
      return `${head}: the host asked ${JSON.stringify(login.unanswered.question)}: the password of ${login.user} has expired or must be changed (ESXi: Security.PasswordMaxDays). ` +
        "Nothing was answered, so it is unchanged: change it in an interactive login (ssh, the Host Client or the console), then update the password file";
    }
    return `${head}: the host asked ${JSON.stringify(login.unanswered.question)}, which is not the login's password prompt (a second factor?), and was given nothing`;
  }
  const hostTakesKeysOnly = login.hostMethods !== undefined && !login.hostMethods.includes("keyboard-interactive") && !login.hostMethods.includes("password");
  if (!login.passwordSent && !login.keyOffered) {
    if (hostTakesKeysOnly) return `${head}: the host takes no password (its sshd allows key logins only); log in with a key listed in /etc/ssh/keys-${login.user}/authorized_keys`;
    if (login.hostMethods !== undefined && !login.hostMethods.includes("publickey")) return `${head}: the host takes no key; log in with the password`;
    return `${head}: no credential the host takes was given`;
  }
  const parts: string[] = [];
  if (login.keyOffered) parts.push(`the key was not accepted: ESXi reads ${login.user}'s keys from /etc/ssh/keys-${login.user}/authorized_keys (not ~/.ssh), and ESXi 8 takes RSA and ECDSA keys only`);
  if (login.passwordSent && login.hostSaid.some((line) => LOCK_WORDS.test(line))) parts.push(`the host's words point to its account lock: ${lockedAccount(login.user)}`);
  else if (login.passwordSent) parts.push(`the password was not accepted; check the user name and the password file; ${passwordCauses(login.user)}`);
  else if (hostTakesKeysOnly) parts.push("the host takes no password (its sshd allows key logins only)");
  return `${head}: ${parts.join("; ")}`;
}
