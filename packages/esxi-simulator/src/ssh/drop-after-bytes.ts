import type { Socket } from "node:net";

/**
 * Makes `socket` send at most `limitBytes` more bytes and then reset the connection, like a network that
 * dies mid-transfer. Works by wrapping `socket.write`, which is what ssh2 writes through.
 */
export function dropAfterBytes(socket: Socket, limitBytes: number): void {
  let remaining = limitBytes;
  const write = socket.write.bind(socket) as (chunk: Buffer | string, ...rest: unknown[]) => boolean;
  const limited = (chunk: Buffer | string, ...rest: unknown[]): boolean => {
    if (socket.destroyed) return false;
    const data = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (data.length < remaining) {
      remaining -= data.length;
      return write(data, ...rest);
    }
    const head = data.subarray(0, remaining);
    remaining = 0;
    if (head.length > 0) write(head);
    socket.end();
    setImmediate(() => socket.resetAndDestroy());
    return false;
  };
  socket.write = limited as typeof socket.write;
}
