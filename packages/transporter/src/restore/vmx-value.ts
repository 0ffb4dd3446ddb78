/**
 * A `.vmx` value written the way the host writes it (esxi-facts 2.2): between double quotes, with the
 * characters a quoted value cannot hold written as `|` and two hex digits (`|22` for `"`, `|7C` for `|`,
 * `|23` for `#`, control characters likewise). The parser (esxi/parsers/vmx-dictionary.ts) reads it back.
 */
export function vmxLine(key: string, value: string): string {
  return `${key} = "${escapeVmxValue(value)}"`;
}

export function escapeVmxValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[|"#\u0000-\u001f\u007f]/gu, (c) => `|${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
