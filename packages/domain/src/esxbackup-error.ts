/**
 * The base of every error esxbackup raises on purpose. `code` is stable and machine-readable (callers and
 * the HTTP/gRPC/CLI boundaries branch on it); `message` is for people and names what went wrong.
 */
export class EsxbackupError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
