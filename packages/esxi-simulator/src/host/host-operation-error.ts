/**
 * A host operation that failed the way hostd fails it: `faultType` is the vim fault (`vim.fault.NotFound`),
 * `msg` its message, `extra` the fault's own fields in print order. The tools print it as a fault object.
 */
export class HostOperationError extends Error {
  constructor(
    readonly faultType: string,
    readonly msg: string,
    /** Fields printed before `msg`: a string, or a managed object reference (`task = 'vim.Task:…'`). */
    readonly extra: Record<string, string | { ref: string }> = {},
  ) {
    super(msg);
    this.name = "HostOperationError";
  }
}
