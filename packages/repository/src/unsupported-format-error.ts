import { EsxbackupError } from "@esxbackup/domain";

/** The repository was written by a newer esxbackup (or is not a repository): refused before anything is touched. */
export class UnsupportedFormatError extends EsxbackupError {
  readonly path: string;

  constructor(path: string, detail: string) {
    super("repository_format_unsupported", `${path}: ${detail}`);
    this.path = path;
  }
}
