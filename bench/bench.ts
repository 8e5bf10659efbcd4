/**
 * Measures what the README publishes: cold build, a fix's incremental rebuild, a cache
 * hit, boot-to-SSH, workload time, and total time to verdict cold and warm. It runs the
 * scenario twice in a throwaway cache (KHARNESS_CACHE), so "cold" means an empty ccache
 * and no unpacked source. Usage: npm run bench [-- scenario] (default memcg-hotplug-lockdep).
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createProgress } from "../harness/core/progress.js";
import { projectRoot } from "../harness/core/paths.js";
import { runCommand } from "../harness/commands/run.js";
import { prepareVariantKernel } from "../harness/pipeline/kernel.js";
import type { RunFile } from "../harness/records/run.js";
import { loadScenario } from "../harness/scenario/load.js";
import { booted } from "../harness/verdict/verdict.js";
import { judgeGroups } from "../harness/verdict/groups.js";

const scenarioName = process.argv[2] ?? "memcg-hotplug-lockdep";
const cache = await fs.mkdtemp(path.join(os.homedir(), ".cache", "kharness-bench-"));
process.env.KHARNESS_CACHE = cache;
process.env.KHARNESS_RESULTS = path.join(projectRoot, "results", "bench");
const progress = createProgress();
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const stats = (xs: number[]) => (xs.length ? `${s(xs.reduce((a, b) => a + b, 0) / xs.length)} (min ${s(Math.min(...xs))}, max ${s(Math.max(...xs))}, n=${xs.length})` : "n/a");

try {
  const t0 = Date.now();
  const cold = await runCommand({ scenario: scenarioName }, progress);
  const coldTotal = Date.now() - t0;
  const t1 = Date.now();
  const warm = await runCommand({ scenario: scenarioName }, progress);
  const warmTotal = Date.now() - t1;

  const loaded = await loadScenario(scenarioName);
  const hitStart = Date.now();
  const hit = await prepareVariantKernel(loaded, loaded.scenario.baseline, path.join(cache, "hit.log"), progress);
  const hitMs = Date.now() - hitStart;

  const kernels = Object.values(cold.run.builds).flatMap((b) => (b.status === "built" ? [b] : []));
  const base = kernels.find((k) => k.variant === loaded.scenario.baseline)!;
  const fixes = kernels.filter((k) => k.variant !== loaded.scenario.baseline);
  const iterations = (r: RunFile) => r.cells.flatMap((c) => c.runs);
  const ran = (r: RunFile) => iterations(r).filter(booted);
  const rows: [string, string][] = [
    ["host", `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${cold.run.host.qemu}, ${cold.run.host.toolchain}`],
    ["accelerator", `${cold.run.accel?.accel} (${cold.run.accel?.reason})`],
    ["cold build (empty ccache, baseline)", s(base.buildMs)],
    ...fixes.map((k): [string, string] => [`rebuild ${k.variant} after the baseline`, `${s(k.buildMs)} (${k.compiledObjects} objects compiled, ${((k.buildMs / base.buildMs) * 100).toFixed(1)}% of cold)`]),
    ["cache hit (source + config + image, no make)", `${s(hitMs)} (cached: ${hit.image.cached})`],
    [`boot to SSH (${cold.run.accel?.accel}, ${loaded.scenario.vm.cpus} vCPUs)`, stats([...ran(cold.run), ...ran(warm.run)].map((i) => i.bootMs))],
    ["workload (writer + hotplug)", stats([...ran(cold.run), ...ran(warm.run)].map((i) => i.workloadMs))],
    [`total to verdict, cold (${iterations(cold.run).length} runs)`, s(coldTotal)],
    [`total to verdict, warm (${iterations(warm.run).length} runs)`, s(warmTotal)],
    ["verdicts", judgeGroups(cold.run).flatMap((g) => g.verdicts.map((v) => `${v.fix}: ${v.verdict}`)).join(", ")],
  ];
  const table = ["| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
  console.log(`\n${table}`);
  const out = path.join(process.env.KHARNESS_RESULTS, `bench-${new Date().toISOString().slice(0, 10)}.md`);
  await fs.writeFile(out, `${table}\n`);
  console.log(`\nwritten to ${out}`);
} finally {
  await fs.rm(cache, { recursive: true, force: true });
}
