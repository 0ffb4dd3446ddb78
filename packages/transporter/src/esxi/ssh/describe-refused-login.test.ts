import { strict as assert } from "node:assert";
import { test } from "node:test";
import { describeRefusedLogin } from "./describe-refused-login.js";
import type { RefusedLogin } from "./describe-refused-login.js";

const ESXI_METHODS = ["publickey", "keyboard-interactive"];
const base: RefusedLogin = { user: "root", methodsTried: ["keyboard-interactive"], hostMethods: ESXI_METHODS, passwordSent: true, keyOffered: false, unanswered: undefined, hostSaid: [] };

test("what each kind of refusal tells the user", () => {
  const cases: [string, Partial<RefusedLogin>, RegExp, RegExp?][] = [
    ["a refused password: the causes a right password can still meet, the lock's defaults", {}, /^login as root refused \(tried keyboard-interactive; the host accepts publickey, keyboard-interactive\): the password was not accepted; check the user name and the password file; if the password is right, the account may be locked .*Security\.AccountLockFailures failures, 5 by default, for Security\.AccountUnlockTime seconds, 900 by default.*lockdown mode.*Not tried again: each refused password counts toward the lock$/u, /Administrator role/u],
    ["a user other than root may also lack the role or shell access", { user: "backup" }, /or backup may lack the Administrator role or shell access\./u, /PermitRootLogin/u],
    ["root may be refused by sshd's PermitRootLogin", {}, /or its sshd may not permit root logins \(PermitRootLogin\)\./u],
    ["a refused key: where ESXi reads keys, which types", { methodsTried: ["publickey"], passwordSent: false, keyOffered: true }, /: the key was not accepted: ESXi reads root's keys from \/etc\/ssh\/keys-root\/authorized_keys \(not ~\/\.ssh\), and ESXi 8 takes RSA and ECDSA keys only$/u, /password/u],
    ["a host that takes keys only, given a password", { methodsTried: [], hostMethods: ["publickey"], passwordSent: false }, /\(tried no method; the host accepts publickey\): the host takes no password \(its sshd allows key logins only\); log in with a key listed in \/etc\/ssh\/keys-root\/authorized_keys$/u],
    ["a host that takes no key, given only a key it never saw", { methodsTried: [], hostMethods: ["keyboard-interactive"], passwordSent: false }, /: the host takes no key; log in with the password$/u],
    ["an expired password: nothing answered, what to do", { unanswered: { question: "Current password:", newPasswordAsked: true }, hostSaid: ["You are required to change your password immediately (administrator enforced)"] }, /the host said: "You are required to change your password immediately \(administrator enforced\)": the host asked "Current password:": the password of root has expired or must be changed \(ESXi: Security\.PasswordMaxDays\)\. Nothing was answered, so it is unchanged/u, /locked/u],
    ["another question: a second factor?", { unanswered: { question: "Verification code:", newPasswordAsked: false } }, /: the host asked "Verification code:", which is not the login's password prompt \(a second factor\?\), and was given nothing$/u],
    ["the host's words are quoted", { hostSaid: ["Authorized users only"] }, /; the host said: "Authorized users only": the password was not accepted/u],
    ["words of the lock: the lock is named, how long it lasts, how to reset it", { hostSaid: ["/usr/lib/vmware/misc/bin/tally_vob.sh failed: exit code 1"] }, /; the host said: "\/usr\/lib\/vmware\/misc\/bin\/tally_vob\.sh failed: exit code 1": the host's words point to its account lock: it refuses even the right password until Security\.AccountUnlockTime has passed since the last failure \(900 s by default\), or until the count is reset in the ESXi Shell at the host's console \(on 6\.x: pam_tally2 --user root --reset\)\. Not tried again: each attempt extends the lock$/u, /check the user name/u],
    ["pam_faillock's words too", { hostSaid: ["The account is locked due to 5 failed logins."] }, /point to its account lock/u],
    ["a long message is quoted in part", { hostSaid: ["x".repeat(250), "2", "3", "4", "5"] }, new RegExp(`the host said: "${"x".repeat(200)}…" "2" "3" "4" …: the password`, "u"), /"5"/u],
    ["methods the host never named are not claimed", { hostMethods: undefined }, /^login as root refused \(tried keyboard-interactive\): /u],
  ];
  for (const [what, change, expected, absent] of cases) {
    const message = describeRefusedLogin({ ...base, ...change });
    assert.match(message, expected, what);
    if (absent !== undefined) assert.doesNotMatch(message, absent, what);
  }
});
