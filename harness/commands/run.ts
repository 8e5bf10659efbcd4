import { promises as fs } from "node:fs";
import path from "node:path";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { executeCells } from "../pipeline/execute.js";
import { hostRecord, newRunId } from "../pipeline/identity.js";
import { expectOf, inputOf, newRunFile, runCellsOf } from "../pipeline/plan.js";
import type { Accel } from "../records/common.js";
import type { RunFile } from "../records/run.js";
import { describeRun } from "../pipeline/dryRun.js";
import { statsTable, verdictLines } from "../report/summary.js";
import { loadScenario, selectVariants } from "../scenario/load.js";
import { expectedVerdict, judgeGroups, runExitCode } from "../verdict/groups.js";
import { vmImplementation } from "../vm/registry.js";

export interface RunOptions {
  scenario: string;
  iterations?: number;
  /** Variants to run (default: all); the baseline is always included. */
  variants?: string[];
  accel?: Accel;
  runId?: string;
  /** A kernel recipe other than the scenario's own (it must have the variants' patches). */
  kernel?: string;
  /** The VM implementation (registry name); qemu unless a test replays consoles. */
  vm?: string;
}

/** `kharness run`: a matrix of one group (the scenario's variants on its kernel and guest shape), judged and summed up. */
export async function runCommand(opts: RunOptions, progress: Progress): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const loaded = await loadScenario(opts.scenario, { ...(opts.kernel && { kernel: opts.kernel }) });
  const { scenario } = loaded;
  const variants = selectVariants(scenario, opts.variants);
  const iterations = opts.iterations ?? scenario.iterations;
  const vm = vmImplementation(opts.vm ?? "qemu");
  const id = opts.runId ?? newRunId(scenario.name);
  const dir = path.join(resultsRoot(), id);
  await fs.mkdir(dir, { recursive: true });
  const run = newRunFile({
    kind: "run",
    id,
    input: inputOf(scenario.name, loaded.file, loaded.text),
    host: await hostRecord(vm),
    cells: runCellsOf(loaded, variants, iterations),
    expect: { [`${scenario.name}/${loaded.kernel.name}`]: expectOf(loaded) },
  });
  progress.info(`run ${id}: ${scenario.name} on ${loaded.kernel.name}, variants ${variants.join(", ")}, ${iterations} iteration(s) each; results in ${dir}`);
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig}; ${killed} child process(es) killed`;
  await executeCells({ run, dir, scenarios: new Map([[`${scenario.name}/${loaded.kernel.name}`, loaded]]), jobs: 1, vm, ...(opts.accel && { accel: opts.accel }) }, progress, howToContinue);
  printSummary(run, progress);
  progress.info(`\nresults: ${dir}`);
  return { run, dir, exitCode: runExitCode(run) };
}

function printSummary(run: RunFile, progress: Progress): void {
  for (const g of judgeGroups(run)) {
    progress.info(`\n${statsTable(g, run.signatures)}\n`);
    for (const v of g.verdicts) {
      progress.info(verdictLines(v, run.signatures).join("\n"));
      const expected = expectedVerdict(run, { ...g, variant: v.fix }, g.baseline);
      if (v.verdict !== expected) progress.info(`expected ${v.fix}: ${expected}, got ${v.verdict}`);
    }
  }
}

/** `kharness run --dry-run`: the series, make and VM commands each variant would get. */
export async function dryRunCommand(opts: Pick<RunOptions, "scenario" | "kernel" | "variants" | "vm">): Promise<string> {
  const loaded = await loadScenario(opts.scenario, { ...(opts.kernel && { kernel: opts.kernel }) });
  return describeRun(loaded, selectVariants(loaded.scenario, opts.variants), vmImplementation(opts.vm ?? "qemu"));
}
