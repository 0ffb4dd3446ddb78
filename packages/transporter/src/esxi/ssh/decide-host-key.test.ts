import { strict as assert } from "node:assert";
import { test } from "node:test";
import { decideHostKey } from "./decide-host-key.js";
import type { HostKey } from "./host-key.js";

const key = (type: string, base64: string): HostKey => ({ type, base64, fingerprint: `SHA256:${base64}` });
const ecdsaA = key("ecdsa-sha2-nistp256", "AAAA");
const ecdsaB = key("ecdsa-sha2-nistp256", "BBBB");
const rsaA = key("ssh-rsa", "CCCC");

test("host-key decisions", () => {
  const table: [string, HostKey[], HostKey, "trust-on-first-use" | "require-pinned", string][] = [
    ["first use pins", [], ecdsaA, "trust-on-first-use", "pin"],
    ["first use refused when pinning is required", [], ecdsaA, "require-pinned", "refuse-unknown"],
    ["the pinned key is accepted", [ecdsaA], ecdsaA, "trust-on-first-use", "accept"],
    ["one of several pinned keys is accepted", [rsaA, ecdsaA], ecdsaA, "require-pinned", "accept"],
    ["another key of the same type is a change", [ecdsaA], ecdsaB, "trust-on-first-use", "refuse-changed"],
    ["a key of another type is a change, not a first use", [ecdsaA], rsaA, "trust-on-first-use", "refuse-changed"],
  ];
  for (const [name, pinned, presented, policy, action] of table) {
    const decision = decideHostKey(pinned, presented, policy);
    assert.equal(decision.action, action, name);
    if (decision.action === "refuse-changed") assert.deepEqual(decision.pinned, pinned, name);
  }
});

test("with keys pinned only their types are offered; RSA covers its three signature algorithms", async () => {
  const { offeredAlgorithms } = await import("./check-host-key-against-pins.js");
  const { esxiSshAlgorithms } = await import("./esxi-ssh-algorithms.js");
  const all = esxiSshAlgorithms("7.0");
  assert.deepEqual(offeredAlgorithms(all, []), all);
  assert.deepEqual(offeredAlgorithms(all, [ecdsaA]).serverHostKey, ["ecdsa-sha2-nistp256"]);
  assert.deepEqual(offeredAlgorithms(all, [rsaA]).serverHostKey, ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
  assert.deepEqual(offeredAlgorithms(esxiSshAlgorithms("8.0"), [rsaA]).serverHostKey, ["rsa-sha2-512", "rsa-sha2-256"], "never more than the release's set");
  assert.deepEqual(offeredAlgorithms(all, [key("ssh-ed25519", "DDDD")]), all, "a type the release cannot present leaves the set as it was, and the key check refuses the other key");
});
