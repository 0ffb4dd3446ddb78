/**
 * The rule for the name of a VM configuration file kept in a manifest (docs/repository-format.md §7): a
 * plain file name (the .vmx, .vmxf, .vmsd, .nvram as on the datastore), never a path. A manifest is input
 * like any other, so whoever writes these files back out checks the rule again.
 */

const MAX_NAME_BYTES = 255;

/** Why `name` cannot name a configuration file, or undefined when it can. */
export function configFileNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name === "." || name === "..") return `${JSON.stringify(name)} names a folder, not a file`;
  if (/[/\\]/.test(name)) return `${JSON.stringify(name)} contains a path separator`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} contains a control character`;
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}
