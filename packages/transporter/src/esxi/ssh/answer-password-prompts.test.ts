import { strict as assert } from "node:assert";
import { test } from "node:test";
import { answerPasswordPrompts } from "./answer-password-prompts.js";
import type { KeyboardRound, PromptAnswers, PromptState } from "./answer-password-prompts.js";

/** Runs a login's rounds in order; what each round got, and what the host said besides its questions. */
function login(rounds: KeyboardRound[]): { replies: PromptAnswers[]; state: PromptState } {
  const state: PromptState = { passwordGiven: false, hostSaid: [] };
  return { replies: rounds.map((round) => answerPasswordPrompts(round, "s3cret", state)), state };
}

const PASSWORD: KeyboardRound = { prompts: [{ prompt: "Password: ", echo: false }] };

test("the login's one password prompt is answered, whatever words surround it", () => {
  const answered = { answers: ["s3cret"] };
  for (const prompt of ["Password: ", "password:", "Password for root@esx01: ", "root@esx01's password: ", "(root@10.0.0.5) Password: "]) {
    assert.deepEqual(login([{ prompts: [{ prompt, echo: false }] }]).replies, [answered], prompt);
  }
  // ssh2 leaves `echo` out when the host sent false.
  assert.deepEqual(login([{ prompts: [{ prompt: "Password: " }] }]).replies, [answered]);
  // A round without prompts carries only messages: answered with nothing, its words kept.
  const { replies, state } = login([{ instructions: "Authorized users only.", prompts: [] }, PASSWORD]);
  assert.deepEqual(replies, [{ answers: [] }, answered]);
  assert.deepEqual(state, { passwordGiven: true, hostSaid: ["Authorized users only."] });
});

test("PAM's messages on the lines before the question are kept, the question still answered", () => {
  // A message ESXi's PAM stack prints when the account is locked (a 6.x report), before its prompt.
  const { replies, state } = login([{ prompts: [{ prompt: "/usr/lib/vmware/misc/bin/tally_vob.sh failed: exit code 1\nPassword: ", echo: false }] }]);
  assert.deepEqual(replies, [{ answers: ["s3cret"] }]);
  assert.deepEqual(state.hostSaid, ["/usr/lib/vmware/misc/bin/tally_vob.sh failed: exit code 1"]);
});

test("an expired password's dialogue gets nothing: neither the current password again nor a new one", () => {
  const expired = "You are required to change your password immediately (administrator enforced)\nChanging password for root.\n";
  for (const question of ["Current password: ", "(current) UNIX password: ", "Password: "]) {
    const { replies, state } = login([PASSWORD, { prompts: [{ prompt: `${expired}${question}`, echo: false }] }]);
    assert.deepEqual(replies[1], { unexpected: question.trim(), newPasswordAsked: true }, question);
    assert.deepEqual(state.hostSaid, ["You are required to change your password immediately (administrator enforced)", "Changing password for root."]);
  }
  // Asked for in the first round too (a host asking the change at once), or several in one round.
  for (const prompt of ["New password: ", "Enter new password: ", "Retype new password: ", "Re-type new password: "]) {
    assert.deepEqual(login([{ prompts: [{ prompt, echo: false }] }]).replies, [{ unexpected: prompt.trim(), newPasswordAsked: true }], prompt);
  }
  assert.deepEqual(login([{ prompts: [{ prompt: "Password: ", echo: false }, { prompt: "Password: ", echo: false }] }]).replies, [{ unexpected: "Password:", newPasswordAsked: true }]);
});

test("any other question is not answered with the password", () => {
  for (const [prompt, echo] of [["Verification code: ", false], ["Enter PASSCODE: ", false], ["Bypass: ", false], ["Password: ", true], ["", false]] as const) {
    assert.deepEqual(login([{ prompts: [{ prompt, echo }] }]).replies, [{ unexpected: prompt.trim(), newPasswordAsked: false }], JSON.stringify(prompt));
  }
  const { state } = login([{ prompts: [{ prompt: "Verification code: ", echo: false }] }]);
  assert.equal(state.passwordGiven, false);
});
