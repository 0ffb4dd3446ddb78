/**
 * A fault as vim-cmd prints it on stdout, ESXi 6.7+/8 style (esxi-facts 1.10 [verbatim]):
 * `faultCause = (vmodl.MethodFault) null,`, `faultMessage = <unset>`, fault fields, then `msg = "..."`
 * with inner quotes not escaped. Neither `msg` nor the field just before it ends with a comma: the 8.0
 * NotFound sample has `faultMessage = <unset>` bare before `msg`, and an ESXi 9.0 InvalidPowerState (a
 * public transcript) has `faultMessage = <unset>, ` and its last fault field `existingState = "…"` bare.
 */
import { renderVimObject, vim, type VimField, type VimRenderOptions } from "./vim-object.js";

export function renderVimFault(faultType: string, msg: string, extra: Record<string, string | { ref: string }> = {}, options: VimRenderOptions = {}): string {
  const beforeMsg: VimField[] = [
    { name: "faultCause", value: vim.null("vmodl.MethodFault"), comma: true },
    { name: "faultMessage", value: vim.unset, comma: true },
    ...Object.entries(extra).map(([name, v]) => ({ name, value: typeof v === "string" ? vim.str(v) : vim.ref(v.ref), comma: true })),
  ];
  const fields = [...beforeMsg.map((f, i) => (i === beforeMsg.length - 1 ? { ...f, comma: false } : f)), { name: "msg", value: vim.str(msg), comma: false }];
  return renderVimObject({ kind: "object", type: faultType, fields }, options);
}
