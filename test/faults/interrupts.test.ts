import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";
import { silentProgress } from "../../harness/core/progress.js";
import { applySeries } from "../../harness/source/series.js";
import { prepareSource } from "../../harness/source/registry.js";
import { kharness, leftovers, readJson, runDirIn, scratch } from "./support.js";

const TARBALL = "/usr/src/linux-source-6.1.tar.xz";
const cold = scratch("interrupt-cold");
const warm = scratch("interrupt-warm");
afterAll(async () => {
  await fs.rm(await cold, { recursive: true, force: true });
  await fs.rm(await warm, { recursive: true, force: true });
});

/**
 * Start `kharness run` on the default scenario's baseline, send `signal` once `stage` shows,
 * and check what the catalogue promises: exit 128 + the signal, no process of the run left,
 * the record says interrupted (naming the signal), and the reports of what finished are
 * written. Before the run starts (the input's checks: unpack, config), there is no record:
 * a run that never started leaves no results folder.
 */
async function interruptAt(
  stage: RegExp,
  signal: NodeJS.Signals,
  env: Record<string, string>,
  marker: string,
  delayMs = 1500,
) {
  const results = await fs.mkdtemp(path.join(marker, "results-"));
  const run = kharness(["run", "memcg-hotplug-lockdep", "--variant", "before", "--max-runs", "1", "--accel", "tcg"], {
    ...env,
    KHARNESS_RESULTS: results,
  });
  await run.waitFor(stage, 20 * 60_000);
  await new Promise((r) => setTimeout(r, delayMs));
  run.proc.kill(signal);
  const result = await run.proc;
  expect(result.exitCode, run.output()).toBe(128 + os.constants.signals[signal]);
  expect(run.output()).toMatch(new RegExp(`interrupted by ${signal}`));
  if (/interrupted by \S+ during the checks of the input/.test(run.output())) {
    expect(await fs.readdir(results)).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await leftovers(marker)).toEqual([]);
    return undefined;
  }
  const dir = await runDirIn(results);
  const record = await readJson(path.join(dir, "run.json"));
  expect(record.status).toBe("interrupted");
  expect(record.error).toContain(signal);
  expect((await fs.stat(path.join(dir, "report.md"))).size).toBeGreaterThan(0);
  // Give the kernel a moment to reap, then nothing that names this test's folders may run.
  await new Promise((r) => setTimeout(r, 500));
  expect(await leftovers(marker)).toEqual([]);
  return { dir, record };
}

describe("SIGINT and SIGTERM at each stage of a run", () => {
  it(
    "during unpack (the input's checks, before the run starts: no results folder): the partial tree is removed",
    async () => {
      const cache = path.join(await cold, "cache");
      await interruptAt(/\[unpack /, "SIGINT", { KHARNESS_CACHE: cache }, await cold);
      const src = await fs.readdir(path.join(cache, "src")).catch(() => []);
      expect(src).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    "during config, then during the build: make's compilers die with it, and the tree is restored before its next use",
    async () => {
      const cache = path.join(await cold, "cache");
      await interruptAt(/\[config /, "SIGTERM", { KHARNESS_CACHE: cache }, await cold);
      await interruptAt(/\[build [^\n]*\] \s*CC /, "SIGINT", { KHARNESS_CACHE: cache }, await cold);
      // The interrupted build left the baseline's series applied; the next use puts the tree back first.
      process.env.KHARNESS_CACHE = cache;
      try {
        const tree = await prepareSource(
          { name: "linux-6.1", source: { kind: "tarball", path: TARBALL } },
          silentProgress,
        );
        await applySeries(tree, []);
        const pristine = (
          await execa("tar", ["-xOf", TARBALL, "linux-source-6.1/mm/memcontrol.c"], { maxBuffer: 64 * 2 ** 20 })
        ).stdout;
        expect(await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8")).toBe(`${pristine}\n`);
      } finally {
        delete process.env.KHARNESS_CACHE;
      }
    },
    20 * 60_000,
  );

  it(
    "during collect: a workload that times out while the guest still answers is collected with sysrq and a pause",
    async () => {
      const marker = await warm;
      // The wedge self-test's kernel, with a workload that outlives its timeout: a hang whose guest answers.
      const dir = await fs.mkdtemp(path.join(marker, "scenario-"));
      const yaml = (await fs.readFile(path.join(projectRoot, "scenarios/wedge-selftest/scenario.yaml"), "utf8"))
        .replace("timeoutSec: 300", "timeoutSec: 10")
        .replace("wedgeSec: 30", "wedgeSec: 300")
        .replace(/script: \|[\s\S]*$/, 'script: "sleep 120"\nmaxRuns: 1\n');
      await fs.writeFile(path.join(dir, "scenario.yaml"), yaml);
      const results = await fs.mkdtemp(path.join(marker, "results-"));
      const run = kharness(["run", dir, "--accel", "tcg"], { KHARNESS_RESULTS: results });
      await run.waitFor(/\[collect pristine #1\]/, 10 * 60_000);
      run.proc.kill("SIGINT");
      const result = await run.proc;
      expect(result.exitCode, run.output()).toBe(130);
      const record = await readJson(path.join(await runDirIn(results), "run.json"));
      expect(record.status).toBe("interrupted");
      expect(record.cells[0].runs).toEqual([]);
      expect(await leftovers(marker)).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    "during report (held there by a failpoint, since writing the reports takes milliseconds): " +
      "they are still written, and --resume completes the record",
    async () => {
      const marker = await warm;
      const { dir, record } = (await interruptAt(
        /\[report\] started/,
        "SIGTERM",
        { KHARNESS_FAILPOINTS: "report=5000" },
        marker,
        500,
      ))!;
      // The run itself had finished: its evidence is kept, and resuming has nothing left to run.
      expect(record.cells[0].runs).toHaveLength(1);
      const resumed = await kharness(["run", "--resume", path.basename(dir), "--accel", "tcg"], {
        KHARNESS_RESULTS: path.dirname(dir),
      }).proc;
      expect(resumed.exitCode).toBe(0);
      expect((await readJson(path.join(dir, "run.json"))).status).toBe("completed");
    },
    20 * 60_000,
  );

  it(
    "during boot and during the workload (warm cache); --resume then finishes the run",
    async () => {
      const marker = await warm;
      await interruptAt(/\[boot before #1/, "SIGINT", {}, marker);
      const { dir, record } = (await interruptAt(/\[workload before #1\] started/, "SIGTERM", {}, marker))!;
      // A run cut short is no evidence: none is kept.
      expect(record.cells[0].runs).toEqual([]);
      const resumed = kharness(["run", "--resume", path.basename(dir), "--accel", "tcg"], {
        KHARNESS_RESULTS: path.dirname(dir),
      });
      const result = await resumed.proc;
      expect(result.exitCode, resumed.output()).toBe(0);
      const after = await readJson(path.join(dir, "run.json"));
      expect(after.status).toBe("completed");
      expect(after.cells[0].runs).toHaveLength(1);
      expect(await leftovers(marker)).toEqual([]);
    },
    20 * 60_000,
  );
});
