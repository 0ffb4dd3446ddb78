/**
 * The text of `/bin/vim-cmd`, `/sbin/vmkfstools`, `/bin/esxcli` and `/bin/vmware` inside a sandbox: a
 * small CommonJS program run by node (reachable through the read-only /usr mount, or bound in when the
 * simulator's node lives elsewhere). It forwards argv and the working directory over the bridge socket and
 * replays the answer: stdout, stderr and the exit status, byte for byte. Python may be disabled on a host,
 * so the clients must not depend on it. Protocol: bridge-protocol.ts.
 */
export function toolClientScript(options: { tool: string; nodePath: string; socketPath: string }): string {
  return `#!${options.nodePath}
"use strict";
// Forwards this command to the simulated host's management agent; see the simulator's README.
const net = require("net");
const fs = require("fs");
const TOOL = ${JSON.stringify(options.tool)};
let cwd = "/";
try { cwd = process.cwd(); } catch (e) { /* removed directory: report / */ }
function writeAll(fd, b) {
  let o = 0;
  while (o < b.length) {
    try { o += fs.writeSync(fd, b, o, b.length - o); }
    catch (e) { if (e.code === "EAGAIN") continue; if (e.code === "EPIPE") process.exit(141); throw e; }
  }
}
let done = false;
const sock = net.connect(${JSON.stringify(options.socketPath)});
sock.write(JSON.stringify({ tool: TOOL, args: process.argv.slice(2), cwd }) + "\\n");
let buf = Buffer.alloc(0);
sock.on("data", (d) => {
  buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
  while (buf.length >= 5) {
    const len = buf.readUInt32BE(1);
    if (buf.length < 5 + len) break;
    const type = buf[0];
    const payload = buf.subarray(5, 5 + len);
    buf = buf.subarray(5 + len);
    if (type === 1) writeAll(1, payload);
    else if (type === 2) writeAll(2, payload);
    else if (type === 3) { done = true; process.exit(Number(payload.toString("ascii"))); }
  }
});
sock.on("error", (e) => {
  writeAll(2, Buffer.from(TOOL + ": cannot reach the host agent (" + (e.code || e.message) + ")\\n"));
  process.exit(1);
});
sock.on("close", () => { if (!done) { writeAll(2, Buffer.from(TOOL + ": connection to the host agent lost\\n")); process.exit(1); } });
`;
}
