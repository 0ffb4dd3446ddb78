/**
 * A repository the user cannot write to (a read-only mount, a folder owned by someone else) fails deep in a
 * lock or temporary file whose path means nothing to the user. Said once, plainly, naming the repository.
 */
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { EsxbackupError } from "@esxbackup/domain";
import { RepositoryFileError } from "@esxbackup/repository";

const NOT_WRITABLE = new Set(["EROFS", "EACCES", "EPERM"]);

/** The error to show instead of `error` when it means `repo` is not writable; otherwise `error`. */
export function explainNotWritable(error: unknown, repo: string): unknown {
  if (!(error instanceof RepositoryFileError) || !isInside(error.path, repo)) return error;
  const code = errorCode(error);
  if (code === undefined) return error;
  return notWritable(repo, code, error);
}

export function notWritable(repo: string, code: string, cause?: unknown): EsxbackupError {
  const reason = code === "EROFS" ? "it is on a read-only file system" : "permission denied";
  return new EsxbackupError("repository_not_writable", `the repository is not writable: ${repo} (${reason}, ${code})`, { cause });
}

/**
 * Throws "the repository is not writable" when `folder` (the repository or the folder it goes into) is not;
 * a folder that does not exist passes (init makes it; opening a repository says it is missing).
 */
export async function checkWritable(folder: string, repo: string): Promise<void> {
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    const code = errorCode(error);
    if (code !== undefined) throw notWritable(repo, code, error);
  }
}

/** The first not-writable code in `error`'s cause chain. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NOT_WRITABLE.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(resolve(folder), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}
