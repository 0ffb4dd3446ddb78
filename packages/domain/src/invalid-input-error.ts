import { EsxbackupError } from "./esxbackup-error.js";

/**
 * Input from outside (an API body, a command-line argument, host output, a file) that cannot be accepted.
 * Raised before anything is changed, so the caller may show it and stop: retrying cannot help.
 */
export class InvalidInputError extends EsxbackupError {
  readonly field: string;

  constructor(field: string, problem: string, options?: { cause?: unknown }) {
    super("invalid_input", `${field}: ${problem}`, options);
    this.field = field;
  }
}
