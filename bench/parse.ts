/**
 * Parser throughput: a real baseline console repeated to about 50 MB, parsed once.
 * Usage: npx tsx bench/parse.ts
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../harness/core/paths.js";
import { parseConsole } from "../harness/parse/parseConsole.js";

const one = readFileSync(path.join(projectRoot, "test/fixtures/linux-6.1-memcg/before-console.log"), "utf8");
const big = one.repeat(Math.ceil(50e6 / one.length));
const started = Date.now();
const splats = parseConsole(big);
const ms = Date.now() - started;
console.log(
  `| parse ${(big.length / 1e6).toFixed(1)} MB console (${splats.length} splats) | ${(ms / 1000).toFixed(1)} s, ${((big.length / 1e6) / (ms / 1000)).toFixed(1)} MB/s, peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB |`,
);
