import { strict as assert } from "node:assert";
import { test } from "node:test";
import { answerPasswordPrompts } from "./answer-password-prompts.js";

test("answers ESXi's password prompt, an empty round, and nothing else", () => {
  assert.deepEqual(answerPasswordPrompts([{ prompt: "Password: ", echo: false }], "s3cret"), { answers: ["s3cret"] });
  assert.deepEqual(answerPasswordPrompts([{ prompt: "Password for root@esx01: " }], "s3cret"), { answers: ["s3cret"] });
  assert.deepEqual(answerPasswordPrompts([], "s3cret"), { answers: [] });
  assert.deepEqual(answerPasswordPrompts([{ prompt: "Verification code: ", echo: false }], "s3cret"), { unexpected: "Verification code:" });
  assert.deepEqual(answerPasswordPrompts([{ prompt: "Password: ", echo: true }], "s3cret"), { unexpected: "Password:" }, "never typed into an echoing prompt");
  assert.deepEqual(answerPasswordPrompts([{ prompt: "Bypass: ", echo: false }], "s3cret"), { unexpected: "Bypass:" });
});
