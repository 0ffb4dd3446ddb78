// The hook into ssh2's handling of keyboard-interactive rounds relies on its internals: this checks them on
// the ssh2 that is installed, so that an upgrade that moves them fails here rather than losing the host's
// words in silence (refused-login.test.ts shows the words reaching a refusal's message).
import { strict as assert } from "node:assert";
import { it } from "node:test";
import { Client } from "ssh2";
import type { KeyboardRound } from "./answer-password-prompts.js";
import { observePromptFreeRounds } from "./prompt-free-rounds.js";

it("attaches to the installed ssh2's protocol once connect() has created it, and passes only rounds without prompts on", () => {
  const client = new Client();
  client.on("error", () => undefined);
  assert.equal(observePromptFreeRounds(client, () => undefined), false, "before connect() there is no protocol to attach to");
  // Nothing listens there: the connection is refused, after connect() has built the protocol object.
  client.connect({ host: "127.0.0.1", port: 9, username: "root", password: "unused" });
  const seen: KeyboardRound[] = [];
  const ssh2Saw: unknown[][] = [];
  const internals = (client as unknown as { _protocol: { _handlers: Record<string, (...args: unknown[]) => unknown> } })._protocol._handlers;
  internals.USERAUTH_INFO_REQUEST = (...args: unknown[]) => void ssh2Saw.push(args);
  try {
    assert.equal(observePromptFreeRounds(client, (round) => seen.push(round)), true);
    internals.USERAUTH_INFO_REQUEST("protocol", "", "The account is locked due to 5 failed logins.", []);
    internals.USERAUTH_INFO_REQUEST("protocol", "", "Authorized users only.", [{ prompt: "Password: ", echo: false }]);
    assert.deepEqual(seen, [{ name: "", instructions: "The account is locked due to 5 failed logins.", prompts: [] }]);
    assert.equal(ssh2Saw.length, 2, "ssh2's own handling still runs for every round");
  } finally {
    client.destroy();
  }
});
