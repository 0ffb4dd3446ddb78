#!/usr/bin/env node
// The `esxbackup` command. The code lives in ../dist (built by `npm run build` at the repository root).
//
// libuv's thread pool keeps its default 4 threads. A setting here could not take effect anyway (an ES
// module entry is itself read through the pool, which has started by the time its first line runs), and
// when it did (a CommonJS entry, 32 threads), the bench's full backup on a one-core receiver was slower:
// 31.4-34.6 s and 5.7-6.5 CPU s per GB against 29.7-30.7 s and 5.5 with 4, in alternating runs.
const { main } = await import("../dist/main.js");
process.exitCode = await main(process.argv.slice(2));
