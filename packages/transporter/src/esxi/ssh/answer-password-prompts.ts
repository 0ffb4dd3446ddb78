/**
 * Keyboard-interactive, as stock ESXi asks for the password (PAM, prompt `Password: `, esxi-facts §4).
 * The password is given only to prompts that ask for it and do not echo; any other question (a one-time
 * code, a changed-password dialogue) is answered with nothing and named, so the login fails with a reason
 * instead of sending the password where it was not asked for.
 */
export interface KeyboardPrompt {
  prompt: string;
  echo?: boolean;
}

export type PromptAnswers = { answers: string[] } | { unexpected: string };

export function answerPasswordPrompts(prompts: readonly KeyboardPrompt[], password: string): PromptAnswers {
  const answers: string[] = [];
  for (const { prompt, echo } of prompts) {
    if (echo === true || !/\bpass(word|code|phrase)?\b/iu.test(prompt)) return { unexpected: prompt.trim() };
    answers.push(password);
  }
  return { answers };
}
