/**
 * The `--host H[:PORT]` argument every host command takes: a name, an IPv4 address or `[IPv6]`, with an
 * optional port (default 22).
 */
import { InvalidInputError } from "@esxbackup/domain";

export function parseHostArgument(text: string, field = "--host"): { host: string; port: number } {
  const value = text.trim();
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/u.exec(value);
  const plain = bracketed === null ? /^([A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d+))?$/u.exec(value) : null;
  const match = bracketed ?? plain;
  if (match === null) throw new InvalidInputError(field, `expected HOST or HOST:PORT (an IPv6 address in brackets), got ${JSON.stringify(text)}`);
  const port = match[2] === undefined ? 22 : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidInputError(field, `port ${match[2]} is not between 1 and 65535`);
  return { host: match[1] as string, port };
}
