// `vim-cmd vmsvc/message` as hosts printed it (parsers/fixtures/corpus, sources in its SOURCES.md).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureText } from "../parsers/fixture-text.js";
import { choiceWords, describeVmQuestion, parseVmQuestions, safeAnswer } from "./vm-question.js";

test("question corpus: msg.uuid.altered printed key first (`2. button.uuid.copiedTheVM (I Copied It)`) is answered 'I copied it'", () => {
  const [question, ...others] = parseVmQuestions(fixtureText("corpus/message-uuid-altered-keys-first-verbatim.txt"));
  assert.equal(others.length, 0);
  assert.ok(question !== undefined);
  assert.equal(question.id, "$questionid");
  assert.match(question.text, /^This virtual machine might have been moved or copied\. .* If you don't know, answer "I Copied It"\.$/u);
  assert.deepEqual(
    question.choices.map((c) => [c.number, c.label, c.summary, c.isDefault]),
    [
      [0, "button.uuid.cancel", "Cancel", false],
      [1, "button.uuid.movedTheVM", "I Moved It", false],
      [2, "button.uuid.copiedTheVM", "I Copied It", true],
    ],
  );
  assert.equal(safeAnswer(question)?.number, 2);
  assert.deepEqual(question.choices.map(choiceWords), ["Cancel", "I Moved It", "I Copied It"]);
  assert.match(describeVmQuestion(question), /choices: 0\. Cancel; 1\. I Moved It; 2\. I Copied It \(default\)$/u);
});
