#!/usr/bin/env node
// The `esxbackup` command. The code lives in ../dist (built by `npm run build` at the repository root).
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv.slice(2));
