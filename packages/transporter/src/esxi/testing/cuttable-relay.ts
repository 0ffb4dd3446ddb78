/** Test support: a TCP relay to a host that a test can cut (a lost connection) and close to new connections. */
import { strict as assert } from "node:assert";
import { once } from "node:events";
import { createServer, connect, type Server, type Socket } from "node:net";

export class CuttableRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  refuse = false;
  constructor(targetPort: number) {
    this.#server = createServer((inbound) => {
      if (this.refuse) return inbound.destroy();
      const outbound = connect(targetPort, "127.0.0.1");
      for (const [a, b] of [[inbound, outbound], [outbound, inbound]] as const) {
        this.#sockets.add(a);
        a.pipe(b);
        a.on("error", () => b.destroy());
        a.on("close", () => {
          this.#sockets.delete(a);
          b.destroy();
        });
      }
    });
  }
  async listen(): Promise<number> {
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    const address = this.#server.address();
    assert.ok(address !== null && typeof address === "object");
    return address.port;
  }
  cut(): void {
    for (const socket of this.#sockets) socket.destroy();
  }
  async close(): Promise<void> {
    this.refuse = true;
    this.cut();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
