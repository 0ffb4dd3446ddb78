/**
 * The simulator's end of the tool bridge: a unix socket server (bind-mounted into the sandbox) that runs
 * each forwarded invocation through the host's `HostTools` and answers with stdout, stderr and the exit
 * status (bridge-protocol.ts). One connection carries one invocation. The socket lives in a short private
 * directory outside the sandbox root, because unix socket paths are limited to ~108 bytes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTools } from "../host-tools.js";
import { BRIDGE_SOCKET_NAME } from "../sandbox/sandbox-layout.js";
import { FRAME_EXIT, FRAME_STDERR, FRAME_STDOUT, MAX_REQUEST_BYTES, frame, parseRequest } from "./bridge-protocol.js";

export class ToolBridgeServer {
  /** The directory holding the socket; bind-mount it into the sandbox. */
  readonly dir: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(dir: string, server: Server) {
    this.dir = dir;
    this.#server = server;
  }

  static async start(tools: () => HostTools, onError: (error: unknown) => void): Promise<ToolBridgeServer> {
    const dir = await mkdtemp(join(tmpdir(), "esxsim-"));
    const server = createServer((socket) => handle(socket, tools(), onError));
    const bridge = new ToolBridgeServer(dir, server);
    server.on("connection", (socket) => {
      bridge.#sockets.add(socket);
      socket.on("close", () => bridge.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(join(dir, BRIDGE_SOCKET_NAME), () => {
        server.off("error", reject);
        resolve();
      });
    });
    return bridge;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function handle(socket: Socket, tools: HostTools, onError: (error: unknown) => void): void {
  let pending = Buffer.alloc(0);
  socket.on("error", () => socket.destroy());
  const onData = (chunk: Buffer): void => {
    pending = Buffer.concat([pending, chunk]);
    const newline = pending.indexOf(0x0a);
    if (newline < 0) {
      if (pending.length > MAX_REQUEST_BYTES) socket.destroy();
      return;
    }
    socket.off("data", onData);
    const request = parseRequest(pending.subarray(0, newline).toString("utf8"));
    if ("problem" in request) {
      reply(socket, Buffer.alloc(0), Buffer.from(`bridge: ${request.problem}\n`), 1);
      return;
    }
    tools.run(request).then(
      (result) => reply(socket, result.stdout, result.stderr, result.exitCode),
      (error: unknown) => {
        onError(error);
        reply(socket, Buffer.alloc(0), Buffer.from(`${request.tool}: internal error in the simulated host\n`), 1);
      },
    );
  };
  socket.on("data", onData);
}

function reply(socket: Socket, stdout: Buffer, stderr: Buffer, exitCode: number): void {
  if (socket.destroyed) return;
  const parts: Buffer[] = [];
  if (stdout.length > 0) parts.push(frame(FRAME_STDOUT, stdout));
  if (stderr.length > 0) parts.push(frame(FRAME_STDERR, stderr));
  parts.push(frame(FRAME_EXIT, Buffer.from(String(exitCode), "ascii")));
  socket.end(Buffer.concat(parts));
}
