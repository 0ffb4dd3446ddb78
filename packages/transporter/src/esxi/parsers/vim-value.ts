/**
 * A value of a vim-cmd data-object dump (`(vim.X) { … }`, esxi-facts 1.0) as `parseVimObject` returns
 * it. Fields keep the host's names; `dynamicType = <unset>` lines (ESX 4.x/5.x) are dropped so that the
 * same object reads the same from every release.
 */
export type VimValue =
  | { readonly kind: "object"; readonly type: string; readonly fields: Readonly<Record<string, VimValue>> }
  | { readonly kind: "list"; readonly type: string; readonly items: readonly VimValue[] }
  /** Double-quoted text, inner quotes as printed (vim-cmd does not escape them). */
  | { readonly kind: "string"; readonly value: string }
  /** Single-quoted text: a managed-object reference such as `vim.Datastore:5e00…`. */
  | { readonly kind: "ref"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "boolean"; readonly value: boolean }
  | { readonly kind: "unset" }
  /** `(type) null`: a data object that is absent. */
  | { readonly kind: "null"; readonly type: string };

export type VimObject = Extract<VimValue, { kind: "object" }>;

/** The field `path` (`"backing.fileName"`) of an object, or undefined when a step is missing or not an object. */
export function vimField(value: VimValue | undefined, path: string): VimValue | undefined {
  let at = value;
  for (const name of path.split(".")) {
    if (at?.kind !== "object" || !Object.hasOwn(at.fields, name)) return undefined;
    at = at.fields[name];
  }
  return at;
}

/** The text of a string or reference, else undefined. */
export function vimText(value: VimValue | undefined): string | undefined {
  return value?.kind === "string" || value?.kind === "ref" ? value.value : undefined;
}
