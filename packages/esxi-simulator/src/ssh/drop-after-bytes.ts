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

/**
 * Makes `socket` take in at most `limitBytes` more bytes and then reset the connection, like a network that
 * dies during an upload: the bytes up to the limit reach the server (a command may act on part of its
 * input), nothing after them does. Works by wrapping `socket.emit` for its `data` events, which is what
 * ssh2 reads through.
 */
export function dropAfterReceivedBytes(socket: Socket, limitBytes: number): void {
  let remaining = limitBytes;
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  const limited = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== "data") return emit(event, ...args);
    if (remaining <= 0) return false;
    const data = args[0] as Buffer;
    const head = data.length <= remaining ? data : data.subarray(0, remaining);
    remaining -= head.length;
    const handled = emit("data", head);
    if (remaining === 0) setImmediate(() => socket.resetAndDestroy());
    return handled;
  };
  socket.emit = limited as typeof socket.emit;
}
