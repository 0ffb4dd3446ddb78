/**
 * `--tag T`, repeated (`backup`, `repo backup-image`): the tags recorded in each point. A tag is looked at
 * later in lists and matched by name, so what could not be told apart there is refused before anything is
 * done: an empty tag (an unset shell variable, most likely), one with control characters (a line break would
 * split a listing), and the same tag twice.
 */
import { InvalidInputError } from "@esxbackup/domain";

export function checkTags(tags: readonly string[]): string[] {
  for (const [at, tag] of tags.entries()) {
    if (tag.trim() === "") throw new InvalidInputError("--tag", "got an empty tag (an unset variable?)");
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\u0000-\u001f\u007f]/u.test(tag)) throw new InvalidInputError("--tag", `${JSON.stringify(tag)} holds a control character`);
    if (tags.indexOf(tag) !== at) throw new InvalidInputError("--tag", `${JSON.stringify(tag)} is given twice`);
  }
  return [...tags];
}
