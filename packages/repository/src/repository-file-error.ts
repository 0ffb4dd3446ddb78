import { EsxbackupError } from "@esxbackup/domain";

export type RepositoryFileProblem = "missing" | "corrupt" | "io";

/**
 * A file of the repository is missing, damaged or could not be read or written. `path` names the file (as
 * the store locates it), so a message always says which one; `cause` keeps the underlying error.
 */
export class RepositoryFileError extends EsxbackupError {
  readonly path: string;
  readonly problem: RepositoryFileProblem;

  constructor(problem: RepositoryFileProblem, path: string, detail: string, options?: { cause?: unknown }) {
    super(`repository_file_${problem}`, `${path}: ${detail}`, options);
    this.path = path;
    this.problem = problem;
  }
}
