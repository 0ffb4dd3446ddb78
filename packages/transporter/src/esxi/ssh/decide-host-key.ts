/**
 * The host-key decision, pure: what to do with the key a host presents, given what is pinned for it.
 * A key of another type than the pinned ones counts as changed (a downgrade to a key nobody checked is
 * exactly what an interceptor would present); the session offers only the pinned types, so an honest host
 * presents one of them.
 */
import type { HostKey } from "./host-key.js";

export type HostKeyPolicy = "trust-on-first-use" | "require-pinned";

export type HostKeyDecision =
  | { action: "accept" }
  | { action: "pin" }
  | { action: "refuse-unknown" }
  | { action: "refuse-changed"; pinned: HostKey[] };

export function decideHostKey(pinned: readonly HostKey[], presented: HostKey, policy: HostKeyPolicy): HostKeyDecision {
  if (pinned.length === 0) return policy === "trust-on-first-use" ? { action: "pin" } : { action: "refuse-unknown" };
  if (pinned.some((key) => key.type === presented.type && key.base64 === presented.base64)) return { action: "accept" };
  return { action: "refuse-changed", pinned: [...pinned] };
}
