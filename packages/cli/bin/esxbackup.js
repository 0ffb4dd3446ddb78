#!/usr/bin/env node
// The `esxbackup` command. The code lives in ../dist (built by `npm run build` at the repository root).

// A backup keeps hundreds of reads, writes and fsyncs in flight; libuv's default pool of 4 threads queues
// them behind each other (the known-changes incremental of a 4 GiB disk took 1.7 s instead of 1.1 s).
// libuv sizes its pool when it first starts it, so this must be set before any module does file I/O: hence
// the dynamic import below. An explicit setting in the environment wins.
process.env.UV_THREADPOOL_SIZE ??= "32";

const { main } = await import("../dist/main.js");
process.exitCode = await main(process.argv.slice(2));
