/**
 * Exit codes scripts can rely on. Documented in the CLI's --help epilogue and in docs/cli.md.
 */
export const ExitCode = {
  ok: 0,
  /** The command ran and found a problem (e.g. `repo verify` found damage). */
  problemsFound: 1,
  /** The command line, a file or a value given was not acceptable; nothing was changed. */
  badInput: 2,
  /** The operation failed (I/O error, lock held, host unreachable); see the message. */
  failed: 3,
  /**
   * Stopped part-way by an error a later run may get past, with what was done kept to be carried on: run
   * the same command again (`restore --to-host`, docs/adr/0030). sysexits' EX_TEMPFAIL. Ctrl-C stays 130.
   */
  resumable: 75,
  /** Interrupted by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
