/**
 * A question a VM is waiting on (`runtime.question` in the API): while a VM has one, its power-on does not
 * finish, and `vim-cmd vmsvc/power.on` does not return (scripts run it in the background and answer from
 * another shell: `vim-cmd vmsvc/power.on $ID & sleep 15; vim-cmd vmsvc/message $ID _vmx1 2`, and a cluster
 * agent times it out and then answers). `vim-cmd vmsvc/message VMID` shows it; its shape, from VMware's KB
 * on answering a question from the command line and the scripts that read it (docs/esxi-evidence.md):
 *
 *     Virtual machine message _vmx1:
 *     msg.uuid.altered:This virtual machine might have been moved or copied.
 *     …more lines of the question…
 *        0. Cancel (Cancel)
 *        1. I _moved it (I _moved it)
 *        2. I _copied it (I _copied it) [default]
 *
 * The id after `message` is `_vmx1` on 5.x and later hosts and a number on older ones (`12`); the first line
 * of the text may carry the message id (`msg.uuid.altered:`) or not; a choice is `N. label (summary)`,
 * `[default]` after the default one. With nothing pending it prints `No message.`. It is answered with
 * `vim-cmd vmsvc/message VMID MESSAGE_ID CHOICE`.
 *
 * A choice may also print the API's key first and its words in the parentheses (a public script quotes an
 * ESX host's `msg.uuid.altered` so: `2. button.uuid.copiedTheVM (I Copied It) [default]`): a choice is
 * known by its key or its words on either side.
 */
import { HostOutputError } from "../parsers/host-output-error.js";
import { outputLines, unexpectedLine } from "../parsers/output-lines.js";
import type { EsxiSshSession } from "../ssh/esxi-ssh-session.js";
import { sh } from "../ssh/shell-command.js";
import { runVimCmd } from "./run-vim-cmd.js";

export interface VmQuestionChoice {
  /** What `vim-cmd vmsvc/message VMID ID CHOICE` takes. */
  readonly number: number;
  /** As printed, with VMware's `_` accelerator marks (`I _copied it`). */
  readonly label: string;
  /** The text between the parentheses: a repeat of the label, or a key (`button.uuid.copiedTheVM`). */
  readonly summary: string;
  readonly isDefault: boolean;
}

export interface VmQuestion {
  /** The question's id for the answer (`_vmx1`, `12`). */
  readonly id: string;
  /** The message id heading its text (`msg.uuid.altered`), when the host printed one. */
  readonly messageId: string | undefined;
  /** The question's words, lines joined with a space (the message id left out). */
  readonly text: string;
  readonly choices: readonly VmQuestionChoice[];
}

type VimCmdSession = Pick<EsxiSshSession, "exec"> & Partial<Pick<EsxiSshSession, "label">>;

const HEADER = /^\s*Virtual machine message\s+(\S+?):\s*(.*)$/u;
const CHOICE = /^\s*(\d+)\.\s+(.*?)\s*$/u;
const MESSAGE_ID = /^(msg\.[A-Za-z0-9_.]+):\s*(.*)$/u;
const NO_MESSAGE = /^\s*No message\.?\s*$/u;

/** The questions `vim-cmd vmsvc/message VMID` printed (none for `No message.`); anything else is a HostOutputError. */
export function parseVmQuestions(stdout: string, source = "vim-cmd vmsvc/message"): VmQuestion[] {
  const lines = outputLines(stdout, source).filter((line) => line.text.trim() !== "");
  const first = lines[0];
  if (first === undefined) throw new HostOutputError(source, "empty output, expected `No message.` or a `Virtual machine message` block");
  if (NO_MESSAGE.test(first.text) && lines.length === 1) return [];
  const questions: { id: string; textLines: string[]; choices: VmQuestionChoice[] }[] = [];
  for (const line of lines) {
    const header = HEADER.exec(line.text);
    if (header?.[1] !== undefined) {
      questions.push({ id: header[1], textLines: header[2] === undefined || header[2] === "" ? [] : [header[2]], choices: [] });
      continue;
    }
    const current = questions[questions.length - 1];
    if (current === undefined) throw unexpectedLine(source, "expected `No message.` or `Virtual machine message ID:`", line);
    const choice = CHOICE.exec(line.text);
    if (choice?.[1] !== undefined && choice[2] !== undefined) {
      current.choices.push(parseChoice(Number(choice[1]), choice[2]));
      continue;
    }
    // Words after the first choice would be a choice this parser misread: refused rather than guessed.
    if (current.choices.length > 0) throw unexpectedLine(source, "a line after the choices that is not a choice (`N. label`)", line);
    current.textLines.push(line.text.trim());
  }
  return questions.map(({ id, textLines, choices }) => {
    const [head = "", ...rest] = textLines;
    const tagged = MESSAGE_ID.exec(head);
    const words = [tagged?.[2] ?? head, ...rest].filter((part) => part !== "");
    return { id, messageId: tagged?.[1], text: words.join(" "), choices };
  });
}

function parseChoice(number: number, rest: string): VmQuestionChoice {
  const isDefault = /\s*\[default\]$/u.test(rest);
  const body = rest.replace(/\s*\[default\]$/u, "");
  const summary = /^(.*?)\s*\(([^()]*)\)$/u.exec(body);
  return summary?.[1] !== undefined && summary[2] !== undefined ? { number, label: summary[1], summary: summary[2], isDefault } : { number, label: body, summary: body, isDefault };
}

/** A choice key of the API (`button.uuid.copiedTheVM`), printed as the label by some hosts. */
const CHOICE_KEY = /^button\.[A-Za-z0-9_.]+$/u;

/**
 * The choice in words, without VMware's accelerator marks: `I _copied it` → `I copied it`; for a choice
 * printed key first (`button.uuid.copiedTheVM (I Copied It)`), the words in its parentheses.
 */
export function choiceWords(choice: VmQuestionChoice): string {
  const words = CHOICE_KEY.test(choice.label) && !CHOICE_KEY.test(choice.summary) ? choice.summary : choice.label;
  return words.replace(/_/gu, "");
}

/** The VM's pending question, if it has one (a read: run again after a lost connection). */
export async function readVmQuestion(session: VimCmdSession, vmid: string | number, options: { signal?: AbortSignal | undefined } = {}): Promise<VmQuestion | undefined> {
  const source = `vim-cmd vmsvc/message ${vmid}`;
  const { stdout } = await runVimCmd(session, sh`vim-cmd vmsvc/message ${vmid}`, source, { signal: options.signal });
  return parseVmQuestions(stdout, source)[0];
}

/** Answers the question `questionId` with choice `choice`. Not retried by itself: asking again shows whether it took. */
export async function answerVmQuestion(session: VimCmdSession, vmid: string | number, questionId: string, choice: number, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const source = `vim-cmd vmsvc/message ${vmid} ${questionId} ${choice}`;
  await runVimCmd(session, sh`vim-cmd vmsvc/message ${vmid} ${questionId} ${String(choice)}`, source, { signal: options.signal, retryOnConnectionLost: false });
}

/**
 * The one answer given without asking the user: "I copied it" to `msg.uuid.altered` ("moved or copied"),
 * which VMware's own text recommends when unsure ("If you don't know, answer 'I copied it'") and which is
 * what a restore beside the original is — a copy, which must get its own UUID and MAC addresses. Undefined
 * for every other question, and when no choice is plainly that one.
 */
export function safeAnswer(question: VmQuestion): VmQuestionChoice | undefined {
  if (question.messageId !== "msg.uuid.altered" && !/\bmoved or copied\b/iu.test(question.text)) return undefined;
  const copied = question.choices.filter((choice) => [choice.label, choice.summary].some((part) => /^button\.uuid\.copiedTheVM$/iu.test(part)) || /^I copied it$/iu.test(choiceWords(choice)));
  return copied.length === 1 ? copied[0] : undefined;
}

/** The question in words for the user: its text and its choices, default marked. */
export function describeVmQuestion(question: VmQuestion): string {
  const choices = question.choices.map((choice) => `${choice.number}. ${choiceWords(choice)}${choice.isDefault ? " (default)" : ""}`).join("; ");
  return `${JSON.stringify(question.text)}${question.messageId === undefined ? "" : ` (${question.messageId})`}${choices === "" ? "" : `, choices: ${choices}`}`;
}
