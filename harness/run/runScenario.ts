import { promises as fs } from "node:fs";
import path from "node:path";
import { BuildFailure } from "../build/build.js";
import { runRecorded } from "../core/interrupt.js";
import { UserError } from "../core/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { iterationSignatures, type IterationRecord, type RunRecordFile } from "../report/runRecord.js";
import { statsTable, summaryMarkdown, verdictLine } from "../report/summary.js";
import { matrixFromRun } from "../report/model.js";
import { writeReports } from "../report/write.js";
import { expectFor, loadScenario } from "../scenario/load.js";
import { judgeVariants, verdictsExitCode } from "../verdict/verdict.js";
import type { Accel } from "../vm/qemu.js";
import { hasHotplug } from "../workload/index.js";
import { prepareGuest } from "./guest.js";
import { hostRecord, newRunId } from "./identity.js";
import { runIteration } from "./iteration.js";
import { kernelRecord, prepareVariantKernel, type VariantKernel } from "./kernel.js";

export interface RunOptions {
  scenario: string;
  iterations?: number;
  /** Variants to run (default: all); the baseline is always included. */
  variants?: string[];
  accel?: Accel;
  runId?: string;
  /** A kernel recipe other than the scenario's own (it must have the variants' patches). */
  kernel?: string;
}

export interface RunResult {
  run: RunRecordFile;
  dir: string;
  exitCode: number;
}

/** Stats and verdicts from the iterations so far: recomputed after each one, so a partial run.json is still a report. */
function judge(run: RunRecordFile, variants: string[]): void {
  Object.assign(run, judgeVariants(run.scenario.baseline, variants, (v) => run.iterations.filter((i) => i.variant === v)));
}

/** The whole pipeline for one scenario: build every variant, run each N times, judge, report. */
export async function runScenario(opts: RunOptions, progress: Progress): Promise<RunResult> {
  const loaded = await loadScenario(opts.scenario, { ...(opts.kernel && { kernel: opts.kernel }) });
  const { scenario } = loaded;
  const all = Object.keys(scenario.variants);
  for (const v of opts.variants ?? []) {
    if (!all.includes(v)) throw new UserError(`scenario ${scenario.name} has no variant "${v}"`, `use one of: ${all.join(", ")}`);
  }
  const variants = opts.variants ? all.filter((v) => v === scenario.baseline || opts.variants!.includes(v)) : all;
  const iterations = opts.iterations ?? scenario.iterations;
  const expect = expectFor(scenario, loaded.kernel.name);
  const id = opts.runId ?? newRunId(scenario.name);
  const dir = path.join(resultsRoot(), id);
  await fs.mkdir(dir, { recursive: true });
  const scenarioFile = path.join(loaded.dir, "scenario.yaml");

  const run: RunRecordFile = {
    schema: "kharness.run/1",
    id,
    status: "running",
    startedAt: new Date().toISOString(),
    scenario: {
      name: scenario.name,
      file: path.relative(process.cwd(), scenarioFile),
      sha256: sha256(await fs.readFile(scenarioFile)),
      baseline: scenario.baseline,
      iterations,
      expect,
      kernel: loaded.kernel.name,
      baselineExpect: scenario.baselineExpect,
      cpus: scenario.vm.cpus,
      hotplug: hasHotplug(scenario.workload),
    },
    host: await hostRecord(),
    kernels: {},
    iterations: [],
    signatures: {},
    stats: [],
    verdicts: [],
    timings: {},
  };
  const runJson = path.join(dir, "run.json");
  const save = () => writeJsonAtomic(runJson, run);
  const addTime = (stage: string, ms: number) => (run.timings[stage] = (run.timings[stage] ?? 0) + ms);

  const started = Date.now();
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig} after ${run.iterations.length} iteration(s); ${killed} child process(es) killed`;
  await runRecorded(
    runJson,
    run,
    progress,
    howToContinue,
    async () => {
      await save();
      progress.info(`run ${id}: ${scenario.name}, variants ${variants.join(", ")}, ${iterations} iteration(s) each; results in ${dir}`);

      // Build every variant first; a compile failure marks the variant broken, the run goes on.
      const kernels = new Map<string, VariantKernel>();
      const broken = new Map<string, string>();
      for (const variant of variants) {
        const buildLog = path.join(dir, "builds", `${variant}.log`);
        try {
          const k = await prepareVariantKernel(loaded, variant, buildLog, progress);
          kernels.set(variant, k);
          run.host.toolchain = k.toolchain;
          run.kernels[variant] = kernelRecord(k, dir, buildLog);
          addTime("source", k.timings.sourceMs);
          addTime("config", k.timings.configMs);
          addTime("build", k.timings.buildMs);
          progress.info(`${variant}: image ${k.image.key.slice(0, 12)} ${k.image.cached ? "from cache (no make)" : `built in ${(k.image.durationMs / 1000).toFixed(0)}s, ${k.image.compiled.length} objects compiled`}`);
        } catch (err) {
          if (!(err instanceof BuildFailure)) throw err;
          broken.set(variant, err.message.split("\n")[0]!);
          progress.info(`${variant}: BUILD FAILED, its runs are recorded as errors (${path.relative(process.cwd(), buildLog)})`);
        }
        await save();
      }

      const first = [...kernels.values()][0];
      const guest = first && (await prepareGuest(dir, first.image.bzImage, progress, opts.accel));
      if (guest) run.accel = guest.accel;

      // Interleave variants so slow drift on the host spreads over all of them.
      for (let it = 1; it <= iterations; it++) {
        for (const variant of variants) {
          const k = kernels.get(variant);
          let record: IterationRecord;
          if (!k || !guest) {
            record = { variant, iteration: it, status: "error", reason: broken.get(variant) ?? "no kernel", bootMs: 0, workloadMs: 0, collectMs: 0, console: "", qemuCommand: "", splats: [] };
          } else {
            const out = await runIteration({ scenario, variant, iteration: it, bzImage: k.image.bzImage, initrd: guest.initrd, accel: guest.accel, key: guest.key, runDir: dir }, progress);
            record = out.record;
            for (const sig of iterationSignatures(record.status, out.groups)) run.signatures[sig.signature] ??= sig;
            addTime("boot", record.bootMs);
            addTime("workload", record.workloadMs);
            addTime("collect", record.collectMs);
          }
          run.iterations.push(record);
          judge(run, variants);
          await save();
        }
      }
    },
    async () => {
      addTime("total", Date.now() - started);
      await save();
      await writeFileAtomic(path.join(dir, "summary.md"), summaryMarkdown(run));
      await writeReports(dir, matrixFromRun(run));
    },
  );
  progress.info(`\n${statsTable(run)}\n`);
  for (const v of run.verdicts) progress.info(verdictLine(v, run.signatures).join("\n"));
  const mismatches = run.verdicts.filter((v) => v.verdict !== (expect[v.fix] ?? "FIXED"));
  for (const v of mismatches) progress.info(`expected ${v.fix}: ${expect[v.fix] ?? "FIXED"}, got ${v.verdict}`);
  progress.info(`\nresults: ${dir}`);
  return { run, dir, exitCode: verdictsExitCode(run.verdicts, expect) };
}
