/**
 * A second tree of the same code compiles from ccache (`npm run bench -- ccache`): the
 * scenario's tarball is unpacked twice (new mtimes, so the two trees are two sources to the
 * image cache and make runs in both) and a variant is built in each, as `dir` sources that
 * kharness copies into trees of its own. The first build fills ccache (or hits what earlier
 * builds left); the second must compile from it. Prints both make times and ccache's hits
 * and misses for each; the bench's trees and unpacked copies are removed afterwards.
 * Part of `npm run bench`; alone: npm run bench -- ccache [--scenario NAME] [--variant NAME]
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { $ } from "zx";
import { createProgress } from "../harness/core/progress.js";
import { cacheRoot } from "../harness/core/paths.js";
import { prepareVariantKernel, type VariantKernel } from "../harness/pipeline/kernel.js";
import { loadScenario, onSource, type LoadedScenario } from "../harness/scenario/load.js";
import type { Row } from "./support/table.js";

const progress = createProgress();
const ccacheEnv = { ...process.env, CCACHE_DIR: path.join(cacheRoot(), "ccache") };

/** ccache's counters ("name<TAB>value" lines of --print-stats). */
async function ccacheStats(): Promise<Record<string, number>> {
  const out = (await $({ env: ccacheEnv })`ccache --print-stats`).stdout;
  return Object.fromEntries(
    out
      .split("\n")
      .map((l) => l.split("\t"))
      .map(([k, v]) => [k, Number(v)]),
  );
}

/**
 * Unpack the tarball into a new directory and build the variant from it; the make time and ccache's
 * counts for that build.
 */
async function buildFromNewTree(
  loaded: LoadedScenario,
  variant: string,
  tarball: string,
  scratch: string,
  name: string,
): Promise<{ kernel: VariantKernel; hits: number; misses: number; unpackMs: number }> {
  const dir = path.join(scratch, name);
  await fs.mkdir(dir);
  const t = Date.now();
  await $`tar -xf ${tarball} -C ${dir} --strip-components=1 --touch`;
  const unpackMs = Date.now() - t;
  const before = await ccacheStats();
  const kernel = await prepareVariantKernel(
    onSource(loaded, { kind: "dir", path: dir }),
    variant,
    path.join(scratch, `${name}.log`),
    progress,
  );
  const after = await ccacheStats();
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  return {
    kernel,
    hits: delta("direct_cache_hit") + delta("preprocessed_cache_hit"),
    misses: delta("cache_miss"),
    unpackMs,
  };
}

/**
 * The variant built in two new trees of the scenario's tarball: the table's rows (the second must
 * come from ccache).
 */
export async function ccacheRows(scenario: string, variant?: string): Promise<Row[]> {
  const loaded = await loadScenario(scenario);
  const name = variant ?? loaded.scenario.baseline;
  const source = loaded.kernel.source;
  if (source.kind !== "tarball")
    throw new Error(
      `the ccache bench unpacks the scenario's tarball; ${loaded.kernel.name} is a ${source.kind} source`,
    );
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-ccache-bench-"));
  const trees: string[] = [];
  try {
    const rows: Row[] = [];
    for (const tree of ["first", "second"]) {
      const b = await buildFromNewTree(loaded, name, source.path, scratch, tree);
      trees.push(path.dirname(b.kernel.tree.dir));
      const t = b.kernel.timings;
      const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      const made =
        `${sec(b.kernel.image.durationMs)}, ${b.kernel.image.compiled.length} objects, ` +
        `ccache ${b.hits} hits / ${b.misses} misses`;
      rows.push([`${tree} tree (${b.kernel.tree.id}), ${name}: make`, made]);
      rows.push([`${tree} tree: unpack, copy, config`, `${sec(b.unpackMs)}, ${sec(t.sourceMs)}, ${sec(t.configMs)}`]);
    }
    return rows;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
    for (const t of trees) await fs.rm(t, { recursive: true, force: true });
  }
}
