/**
 * The command texts that fingerprint a byte range on the host, one per method (hashing-method.ts): the
 * Python script on the interpreter's stdin, or the busybox loop passed to `sh -c`. Both are built with the
 * SSH layer's `shellCommand`, so every value (the numbers and the interpreter's name included) is quoted and
 * a path with spaces, quotes, `$`, `;`, backticks, newlines or non-ASCII reaches the program as one argument.
 */
import type { FingerprintAlgorithm } from "@esxbackup/domain";
import { shellCommand } from "../ssh/shell-command.js";
import type { ShellCommand } from "../ssh/shell-command.js";
import { BLOCK_HASH_PYTHON_SCRIPT } from "./block-hash-python-script.js";
import { checkBlockHashRequest } from "./block-hash-request.js";
import type { BlockHashRequest } from "./block-hash-request.js";
import { BLOCK_HASH_SHELL_SCRIPT } from "./block-hash-shell-script.js";
import { zeroBlockDigest } from "./zero-block-digest.js";

/** What to run: the command line, and what to write to its stdin before closing it (empty for none). */
export interface HostCommand {
  command: ShellCommand;
  stdin: Buffer;
}

export const DIGEST_APPLETS: Readonly<Record<FingerprintAlgorithm, string>> = { md5: "md5sum", sha1: "sha1sum", sha256: "sha256sum" };

/** `<python> - PATH ALG OFFSET LENGTH BLOCK`, with the script as stdin. */
export function pythonBlockHashCommand(request: BlockHashRequest, python: string): HostCommand {
  checkBlockHashRequest(request);
  const args = [python, "-", request.path, request.algorithm, String(request.offsetBytes), String(request.lengthBytes), String(request.blockSizeBytes)];
  return { command: shellCommand(args), stdin: Buffer.from(BLOCK_HASH_PYTHON_SCRIPT, "utf8") };
}

/** `sh -c SCRIPT esxbackup-hash ARGS…` (block-hash-shell-script.ts), nothing on stdin. */
export function shellBlockHashCommand(request: BlockHashRequest): HostCommand {
  checkBlockHashRequest(request);
  const { blockSizeBytes: block, offsetBytes, lengthBytes, algorithm } = request;
  const wholeBlocks = Math.floor(lengthBytes / block);
  const tailBytes = lengthBytes - wholeBlocks * block;
  const hex = (bytes: number): string => zeroBlockDigest(algorithm, bytes).toString("hex");
  const args = [
    "sh", "-c", BLOCK_HASH_SHELL_SCRIPT, "esxbackup-hash",
    request.path,
    String(block),
    String(offsetBytes / block),
    String(wholeBlocks),
    String(tailBytes),
    hex(block),
    tailBytes > 0 ? hex(tailBytes) : "-",
    String(offsetBytes + lengthBytes - 1),
    DIGEST_APPLETS[algorithm],
  ];
  return { command: shellCommand(args), stdin: Buffer.alloc(0) };
}
