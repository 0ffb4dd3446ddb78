// `vim-cmd vmsvc/message VMID` as hosts print it. Built (not verbatim) from: the KB text on answering a question from the
// command line, as a public notes file quotes it (its line breaks lost there; restored by the layout the
// scripts below read: the header line first, then the text, then one choice a line); a cluster agent's
// Perl that reads `Virtual machine message (\d+):` and "This virtual machine might have been moved or
// copied." and "No message."; scripts that take the id as the 4th word of the first line (`_vmx1`).
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { HostOutputError } from "../parsers/host-output-error.js";
import { describeVmQuestion, parseVmQuestions, safeAnswer } from "./vm-question.js";

const UUID_QUESTION_5X = [
  "Virtual machine message _vmx1:",
  "msg.uuid.altered:This virtual machine might have been moved or copied.",
  "In order to configure certain management and networking features, VMware ESX needs to know if this virtual machine was moved or copied.",
  "",
  'If you don\'t know, answer "I copied it".',
  "   0. Cancel (Cancel)",
  "   1. I _moved it (I _moved it)",
  "   2. I _copied it (I _copied it) [default]",
  "",
].join("\n");

const UUID_QUESTION_KB = [
  "Virtual machine message 12:",
  "msg.uuid.altered:This virtual machine may have been moved or copied.",
  "To configure certain management and networking features VMware ESX needs to know which.",
  "Did you move this virtual machine, or did you copy it? If you don't know, answer \"I copied it\".",
  "0. Cancel (Cancel)",
  "1. I _moved it (I _moved it)",
  "2. I _copied it (I _copied it) [default]",
].join("\n");

const DEVICE_QUESTION = [
  "Virtual machine message _vmx1:",
  "Cannot connect the virtual device ide1:0 because no corresponding device is available on the host. Do you want to try to connect this virtual device every time you power on the virtual machine?",
  "   0. _Yes (button.yes)",
  "   1. _No (button.no) [default]",
].join("\n");

describe("parseVmQuestions", () => {
  it("reads `No message.` (and without its period, or with CRLF) as nothing pending", () => {
    assert.deepEqual(parseVmQuestions("No message.\n"), []);
    assert.deepEqual(parseVmQuestions("No message\r\n"), []);
  });

  it("reads the moved-or-copied question of a 5.x+ host: id `_vmx1`, its message id, its text and choices", () => {
    const [question, more] = parseVmQuestions(UUID_QUESTION_5X);
    assert.equal(more, undefined);
    assert.equal(question?.id, "_vmx1");
    assert.equal(question.messageId, "msg.uuid.altered");
    assert.match(question.text, /^This virtual machine might have been moved or copied\. In order to configure .* answer "I copied it"\.$/u);
    assert.deepEqual(question.choices, [
      { number: 0, label: "Cancel", summary: "Cancel", isDefault: false },
      { number: 1, label: "I _moved it", summary: "I _moved it", isDefault: false },
      { number: 2, label: "I _copied it", summary: "I _copied it", isDefault: true },
    ]);
  });

  it("reads the KB's numeric id and unindented choices", () => {
    const [question] = parseVmQuestions(UUID_QUESTION_KB);
    assert.equal(question?.id, "12");
    assert.equal(question.choices.length, 3);
    assert.equal(question.choices[2]?.isDefault, true);
  });

  it("keeps a question without a message id, its text whole", () => {
    const [question] = parseVmQuestions(DEVICE_QUESTION);
    assert.equal(question?.messageId, undefined);
    assert.match(question?.text ?? "", /^Cannot connect the virtual device ide1:0 because no corresponding device is available on the host\./u);
    assert.deepEqual(question?.choices.map((c) => [c.number, c.summary, c.isDefault]), [[0, "button.yes", false], [1, "button.no", true]]);
  });

  it("refuses output that is neither, quoting the line", () => {
    assert.throws(() => parseVmQuestions("Powering on VM:\n"), (error: unknown) => error instanceof HostOutputError && /line 1: "Powering on VM:"/u.test(error.message));
    assert.throws(() => parseVmQuestions(""), HostOutputError);
    // A line after the choices could be a choice misread: refused, not guessed.
    assert.throws(() => parseVmQuestions(`${DEVICE_QUESTION}\nsomething else\n`), /line 5: "something else"/u);
  });
});

describe("safeAnswer", () => {
  it("answers only `moved or copied`, with the one `I copied it` choice", () => {
    assert.equal(safeAnswer(parseVmQuestions(UUID_QUESTION_5X)[0] ?? assert.fail())?.number, 2);
    assert.equal(safeAnswer(parseVmQuestions(UUID_QUESTION_KB)[0] ?? assert.fail())?.number, 2);
    assert.equal(safeAnswer(parseVmQuestions(DEVICE_QUESTION)[0] ?? assert.fail()), undefined);
  });

  it("answers nothing when no choice, or more than one, is plainly `I copied it`", () => {
    const renumbered = UUID_QUESTION_5X.replace("2. I _copied it (I _copied it) [default]", "2. Copy (button.other) [default]");
    assert.equal(safeAnswer(parseVmQuestions(renumbered)[0] ?? assert.fail()), undefined);
    const twice = `${UUID_QUESTION_5X.trimEnd()}\n   3. I copied it (button.uuid.copiedTheVM)\n`;
    assert.equal(safeAnswer(parseVmQuestions(twice)[0] ?? assert.fail()), undefined);
  });

  it("describes a question with its choices and default", () => {
    assert.match(describeVmQuestion(parseVmQuestions(DEVICE_QUESTION)[0] ?? assert.fail()), /"Cannot connect the virtual device ide1:0 .*", choices: 0\. Yes; 1\. No \(default\)$/u);
  });
});
