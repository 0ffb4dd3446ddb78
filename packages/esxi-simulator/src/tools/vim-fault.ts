/**
 * A fault as vim-cmd prints it on stdout, ESXi 6.7+/8 style (esxi-facts 1.10 [verbatim]):
 * `faultCause = (vmodl.MethodFault) null,`, `faultMessage = <unset>` with no comma, fault fields, then
 * `msg = "..."` with no comma and inner quotes not escaped.
 */
import { renderVimObject, vim, type VimField, type VimRenderOptions } from "./vim-object.js";

export function renderVimFault(faultType: string, msg: string, extra: Record<string, string> = {}, options: VimRenderOptions = {}): string {
  const fields: VimField[] = [
    { name: "faultCause", value: vim.null("vmodl.MethodFault"), comma: true },
    { name: "faultMessage", value: vim.unset, comma: false },
    ...Object.entries(extra).map(([name, v]) => ({ name, value: vim.str(v), comma: true })),
    { name: "msg", value: vim.str(msg), comma: false },
  ];
  return renderVimObject({ kind: "object", type: faultType, fields }, options);
}
