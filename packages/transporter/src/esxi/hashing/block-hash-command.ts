/**
 * The command texts that fingerprint a byte range on the host, one per method (hashing-method.ts): the
 * Python script on the interpreter's stdin, or the busybox loop passed to `sh -c`. Every value in the
 * command goes through the injected `quote`, including the numbers and the interpreter's name, so a path
 * with spaces, quotes, `$`, `;`, backticks, newlines or non-ASCII reaches the program as one argument.
 */
import type { FingerprintAlgorithm } from "@esxbackup/domain";
import { BLOCK_HASH_PYTHON_SCRIPT } from "./block-hash-python-script.js";
import { checkBlockHashRequest } from "./block-hash-request.js";
import type { BlockHashRequest } from "./block-hash-request.js";
import { BLOCK_HASH_SHELL_SCRIPT } from "./block-hash-shell-script.js";
import type { QuoteShellArgument } from "./shell-quote.js";
import { zeroBlockDigest } from "./zero-block-digest.js";

/** What to run: the command line, and what to write to its stdin before closing it (empty for none). */
export interface HostCommand {
  command: string;
  stdin: Buffer;
}

export const DIGEST_APPLETS: Readonly<Record<FingerprintAlgorithm, string>> = { md5: "md5sum", sha1: "sha1sum", sha256: "sha256sum" };

/** `<python> - PATH ALG OFFSET LENGTH BLOCK`, with the script as stdin. */
export function pythonBlockHashCommand(request: BlockHashRequest, python: string, quote: QuoteShellArgument): HostCommand {
  checkBlockHashRequest(request);
  const args = [python, "-", request.path, request.algorithm, String(request.offsetBytes), String(request.lengthBytes), String(request.blockSizeBytes)];
  return { command: args.map(quote).join(" "), stdin: Buffer.from(BLOCK_HASH_PYTHON_SCRIPT, "utf8") };
}

/** `sh -c SCRIPT esxbackup-hash ARGS…` (block-hash-shell-script.ts), nothing on stdin. */
export function shellBlockHashCommand(request: BlockHashRequest, quote: QuoteShellArgument): HostCommand {
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
  return { command: args.map(quote).join(" "), stdin: Buffer.alloc(0) };
}
