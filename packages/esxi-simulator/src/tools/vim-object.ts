/**
 * Renders vim data objects the way vim-cmd prints them on ESXi 6.x–8.x (esxi-facts 1.0, [verbatim]):
 * 3-space indentation per level, `name = value` fields, strings in double quotes with inner quotes NOT
 * escaped, managed-object refs in single quotes, `<unset>`, `(type) null`, no `dynamicType` lines.
 *
 * Commas are not uniform on a real host (the last field of an object sometimes keeps its comma, sometimes
 * not, and `faultMessage = <unset>` has none although it is not last), so a field may say whether it takes
 * one; by default every field but the last does.
 */
export type VimValue =
  | { kind: "object"; type: string; fields: VimField[] }
  | { kind: "list"; type: string; items: VimValue[] }
  | { kind: "string"; value: string }
  | { kind: "ref"; value: string }
  | { kind: "raw"; text: string }
  | { kind: "unset" }
  | { kind: "null"; type: string }
  | number
  | boolean;

export interface VimField {
  name: string;
  value: VimValue;
  /** Whether the line ends with a comma; default: every field except the last. */
  comma?: boolean;
}

const INDENT = "   ";

export const vim = {
  obj(type: string, fields: (VimField | [string, VimValue] | [string, VimValue, boolean])[]): VimValue {
    return {
      kind: "object",
      type,
      fields: fields.map((f) => (Array.isArray(f) ? (f.length === 3 ? { name: f[0], value: f[1], comma: f[2] } : { name: f[0], value: f[1] }) : f)),
    };
  },
  list(type: string, items: VimValue[]): VimValue {
    return { kind: "list", type, items };
  },
  str(value: string): VimValue {
    return { kind: "string", value };
  },
  ref(value: string): VimValue {
    return { kind: "ref", value };
  },
  unset: { kind: "unset" } as VimValue,
  null(type: string): VimValue {
    return { kind: "null", type };
  },
  /** A string or `<unset>` when undefined. */
  optStr(value: string | undefined): VimValue {
    return value === undefined ? { kind: "unset" } : { kind: "string", value };
  },
};

export interface VimRenderOptions {
  /** End comma lines with `, ` (ESXi 7.0 and later, esxi-facts §0); otherwise with a bare `,`. */
  commaSpace?: boolean;
}

function renderValue(value: VimValue, depth: number, comma: string): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  switch (value.kind) {
    case "string":
      return `"${value.value}"`;
    case "ref":
      return `'${value.value}'`;
    case "raw":
      return value.text;
    case "unset":
      return "<unset>";
    case "null":
      return `(${value.type}) null`;
    case "object": {
      const pad = INDENT.repeat(depth + 1);
      const lines = value.fields.map((f, i) => {
        const ends = f.comma ?? i < value.fields.length - 1;
        return `${pad}${f.name} = ${renderValue(f.value, depth + 1, comma)}${ends ? comma : ""}`;
      });
      return [`(${value.type}) {`, ...lines, `${INDENT.repeat(depth)}}`].join("\n");
    }
    case "list": {
      if (value.items.length === 0) return `(${value.type}) []`;
      const pad = INDENT.repeat(depth + 1);
      const lines = value.items.map((item, i) => `${pad}${renderValue(item, depth + 1, comma)}${i < value.items.length - 1 ? comma : ""}`);
      return [`(${value.type}) [`, ...lines, `${INDENT.repeat(depth)}]`].join("\n");
    }
  }
}

/** The object's text, ending with a newline. */
export function renderVimObject(value: VimValue, options: VimRenderOptions = {}): string {
  return `${renderValue(value, 0, options.commaSpace === true ? ", " : ",")}\n`;
}
