/**
 * Keyboard-interactive, as ESXi asks for the password: PAM through sshd, one round with one prompt,
 * `Password: ` (esxi-facts §4; the `(root@host) Password: ` users see is the OpenSSH client's own prefix,
 * added from OpenSSH 8.4 on). The password is given once per login, to a prompt that asks for it and does
 * not echo. Anything else is answered with nothing and named, so that the login fails with a reason instead
 * of the password going where it was not asked for:
 * - a second password prompt in the same login: what PAM asks after the password when it has expired
 *   (`Security.PasswordMaxDays`): the current password again, then a new one twice. Answering would change
 *   the user's password, or count failed logins against the account;
 * - a prompt asking for a new, current or retyped password, a one-time code or passcode, or any other question.
 * sshd puts PAM's messages (`You are required to change your password immediately …`, a lockout notice)
 * on the lines before the question: they are kept to be quoted when the login fails. What it sends alone,
 * in a round without prompts (PAM's words after the password: a refusal's reason), ssh2 answers by itself;
 * prompt-free-rounds.ts hands those rounds to `noteHostWords`.
 */
export interface KeyboardPrompt {
  prompt: string;
  echo?: boolean;
}

/** One keyboard-interactive round as the host sent it. */
export interface KeyboardRound {
  name?: string;
  instructions?: string;
  prompts: readonly KeyboardPrompt[];
}

/** What one login's rounds have done so far; starts as `{ passwordGiven: false, hostSaid: [] }`. */
export interface PromptState {
  passwordGiven: boolean;
  /** The host's own words besides the questions (PAM messages, instructions), in order. */
  hostSaid: string[];
}

export type PromptAnswers = { answers: string[] } | { unexpected: string; newPasswordAsked: boolean };

const PASSWORD_QUESTION = /\bpassword\b/iu;
/** Words of the questions a password change asks (Linux-PAM, passwdqc, pam_unix), never the login's. */
const CHANGE_QUESTION = /\b(new|current|old|retype|re-type|re-enter|reenter|again|repeat|confirm|verify|changing|change|expired)\b/iu;

/** Keeps a round's name and instructions (the host's words, not questions) to be quoted if the login fails. */
export function noteHostWords(round: Pick<KeyboardRound, "name" | "instructions">, state: PromptState): void {
  for (const text of [round.name, round.instructions]) {
    if (text === undefined) continue;
    state.hostSaid.push(...text.split(/\r?\n/u).map((line) => line.trim()).filter((line) => line !== ""));
  }
}

export function answerPasswordPrompts(round: KeyboardRound, password: string, state: PromptState): PromptAnswers {
  noteHostWords(round, state);
  const answers: string[] = [];
  for (const { prompt, echo } of round.prompts) {
    const lines = prompt.split(/\r?\n/u).map((line) => line.trim()).filter((line) => line !== "");
    const question = lines.pop() ?? "";
    state.hostSaid.push(...lines);
    const newPasswordAsked = PASSWORD_QUESTION.test(question) && (state.passwordGiven || answers.length > 0 || CHANGE_QUESTION.test(question));
    const isLoginPassword = echo !== true && PASSWORD_QUESTION.test(question) && !newPasswordAsked;
    if (!isLoginPassword) return { unexpected: question, newPasswordAsked };
    answers.push(password);
  }
  if (answers.length > 0) state.passwordGiven = true;
  return { answers };
}
