#!/usr/bin/env -S node --initial-old-space-size=64
// The `esxbackup` command. The code lives in ../dist (built by `npm run build` at the repository root).
//
// The first line's Node options are the CLI's (docs/adr/0033-heap-setting-for-the-data-path.md): deploy/
// link-command.sh and the benchmarks read them from there, so run this file itself, or through that
// wrapper, rather than `node <this file>`. `--initial-old-space-size=64` keeps V8 from running a full
// garbage collection every ~0.1 s while SSH data streams in: on the bench's one-core receiver it took
// 11-16 % off a full backup's CPU and 15-25 % off a restore's.
//
// libuv's thread pool keeps its default 4 threads. A setting here could not take effect anyway (an ES
// module entry is itself read through the pool, which has started by the time its first line runs), and
// when it did (a CommonJS entry, 32 threads), the bench's full backup on a one-core receiver was slower:
// 31.4-34.6 s and 5.7-6.5 CPU s per GB against 29.7-30.7 s and 5.5 with 4, in alternating runs.
const { main } = await import("../dist/main.js");
process.exitCode = await main(process.argv.slice(2));
