/**
 * A second tree of the same code compiles from ccache (`npm run bench -- ccache`): a variant
 * is built in its scenario's own tree (through the image cache: no make if built before),
 * then in a new `dir` tree (a fresh unpack of the same tarball, copied by kharness), which
 * must compile from ccache. Prints the second build's make time and ccache's hits for it.
 * The bench's own tree and unpacked copy are removed afterwards.
 * Usage: npm run bench -- ccache [--scenario NAME] [--variant NAME]
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { $, argv } from "zx";
import { createProgress } from "../harness/core/progress.js";
import { cacheRoot } from "../harness/core/paths.js";
import { prepareVariantKernel } from "../harness/pipeline/kernel.js";
import { loadScenario, onSource } from "../harness/scenario/load.js";
import { treeDir } from "../harness/source/kinds.js";

const progress = createProgress();
const loaded = await loadScenario(String(argv.scenario ?? "memcg-hotplug-lockdep"));
const variant = String(argv.variant ?? loaded.scenario.baseline);
const source = loaded.kernel.source;
if (source.kind !== "tarball") throw new Error(`the ccache bench unpacks the scenario's tarball; ${loaded.kernel.name} is a ${source.kind} source`);
const ccacheEnv = { ...process.env, CCACHE_DIR: path.join(cacheRoot(), "ccache") };
/** ccache's counters ("name<TAB>value" lines of --print-stats). */
const stats = async (): Promise<Record<string, number>> =>
  Object.fromEntries((await $({ env: ccacheEnv })`ccache --print-stats`).stdout.split("\n").map((l) => l.split("\t")).map(([k, v]) => [k, Number(v)]));
const logs = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-ccache-bench-"));

const first = await prepareVariantKernel(loaded, variant, path.join(logs, "first.log"), progress);
const copy = path.join(logs, "linux");
await fs.mkdir(copy);
const t = Date.now();
await $`tar -xf ${source.path} -C ${copy} --strip-components=1`;
const unpackMs = Date.now() - t;
const before = await stats();
let tree: string | undefined;
try {
  const second = await prepareVariantKernel(onSource(loaded, { kind: "dir", path: copy }), variant, path.join(logs, "second.log"), progress);
  tree = path.dirname(second.tree.dir);
  const after = await stats();
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const hits = delta("direct_cache_hit") + delta("preprocessed_cache_hit");
  const misses = delta("cache_miss");
  const rows: [string, string][] = [
    [`first tree (${first.tree.id}), ${variant}`, first.image.cached ? "image cache hit (no make)" : `make ${(first.image.durationMs / 1000).toFixed(1)} s, ${first.image.compiled.length} objects`],
    ["second tree: unpack, copy, config", `${(unpackMs / 1000).toFixed(1)} s unpack; ${(second.timings.sourceMs / 1000).toFixed(1)} s copy; ${(second.timings.configMs / 1000).toFixed(1)} s config`],
    [`second tree (${second.tree.id}): make`, `${(second.image.durationMs / 1000).toFixed(1)} s, ${second.image.compiled.length} objects, ccache ${hits} hits / ${misses} misses`],
  ];
  console.log(["", "| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n"));
} finally {
  await fs.rm(logs, { recursive: true, force: true });
  if (tree?.startsWith(path.dirname(treeDir("x")))) await fs.rm(tree, { recursive: true, force: true });
}
