/**
 * Parser throughput and memory: a real baseline console repeated to about 50 MB, parsed by
 * `kharness parse` (streamed from the file, each report handed on as it ends) and by parseConsole on
 * the whole text (what a run does with one console). Each in a child process of its own, so the peak
 * RSS is that of the parse alone. Usage: npm run bench:parse
 */
import { createReadStream, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { $ } from "zx";
import { projectRoot } from "../harness/core/paths.js";
import { parseConsole, scanConsoleStream } from "../harness/parse/parseConsole.js";

const [mode, file] = process.argv.slice(2);
if (mode === "stream" || mode === "whole") {
  const started = Date.now();
  let splats = 0;
  if (mode === "stream") await scanConsoleStream(createReadStream(file!), () => splats++);
  else splats = parseConsole(readFileSync(file!, "utf8")).length;
  console.log(JSON.stringify({ ms: Date.now() - started, splats, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
} else {
  const one = readFileSync(path.join(projectRoot, "test/fixtures/linux-6.1-memcg/before-console.log"), "utf8");
  const big = path.join(os.tmpdir(), `kharness-bench-console-${process.pid}.log`);
  await fs.writeFile(big, one.repeat(Math.ceil(50e6 / one.length)));
  const mb = (await fs.stat(big)).size / 1e6;
  try {
    for (const m of ["stream", "whole"]) {
      const r = (await $`npx tsx ${path.join(projectRoot, "bench/parse.ts")} ${m} ${big}`).json<{
        ms: number;
        splats: number;
        maxRssMiB: number;
      }>();
      const how = m === "stream" ? "kharness parse (streamed)" : "parseConsole (whole text in memory)";
      console.log(
        `| ${how}, ${mb.toFixed(1)} MB console, ${r.splats} splats ` +
          `| ${(r.ms / 1000).toFixed(1)} s, ${(mb / (r.ms / 1000)).toFixed(1)} MB/s, ` +
          `peak RSS ${r.maxRssMiB.toFixed(0)} MiB |`,
      );
    }
  } finally {
    await fs.rm(big, { force: true });
  }
}
