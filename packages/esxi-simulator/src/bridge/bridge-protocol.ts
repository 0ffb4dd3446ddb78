/**
 * The wire format between a tool client in the sandbox (`/bin/vim-cmd` & co.) and the simulator.
 *
 * Request: one line of JSON, `{"tool": …, "args": [...], "cwd": "…"}\n`.
 * Response: frames of `type (1 byte) | length (u32 big-endian) | payload`: type 1 is stdout bytes, 2 is
 * stderr bytes, 3 is the exit status as decimal ASCII and always comes last. The client script in
 * tool-client-script.ts decodes the same format; keep the two in step.
 */
import { HOST_TOOL_NAMES } from "../host-tools.js";
import type { ToolInvocation } from "../host-tools.js";

export const FRAME_STDOUT = 1;
export const FRAME_STDERR = 2;
export const FRAME_EXIT = 3;

/** Largest request accepted (argv of a shell command line is far smaller). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Parses and checks a request line; returns a reason instead when it is not acceptable. */
export function parseRequest(line: string): ToolInvocation | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: "request is not JSON" };
  }
  if (typeof value !== "object" || value === null) return { problem: "request is not an object" };
  const { tool, args, cwd } = value as Record<string, unknown>;
  const known = HOST_TOOL_NAMES.find((name) => name === tool);
  if (known === undefined) return { problem: `unknown tool ${JSON.stringify(tool)}` };
  if (!Array.isArray(args) || !args.every((a): a is string => typeof a === "string")) return { problem: "args must be strings" };
  if (typeof cwd !== "string" || !cwd.startsWith("/")) return { problem: "cwd must be an absolute path" };
  return { tool: known, args, cwd };
}
