/**
 * The run record, and every change made to it: the parts planning fills in (runPlan.ts
 * for run, matrixPlan.ts for matrix: a fresh record, its cells and what they run, its
 * expectations and input, a recorded run reopened to go on with), and what the cell runner
 * keeps in it as builds, guests, rounds and runs finish (cells.ts only calls these).
 */
import path from "node:path";
import { sha256 } from "../core/hash.js";
import { buildKey, newCell, type CellKey } from "../matrix/expand.js";
import type { ArchName } from "../core/arch.js";
import type { AccelChoice } from "../records/common.js";
import { RUN_SCHEMA, targetKey, type CellRecord, type KernelRecord, type RunFile } from "../records/run.js";
import { signatureRecordsOf } from "../verdict/signatures.js";
import type { IterationOutcome } from "./iteration.js";
import { expectFor, type LoadedScenario } from "../scenario/load.js";
import type { Scenario } from "../scenario/schema.js";
import { hasHotplug, withHotplug, workloadLine } from "../workload/index.js";

/** The scenario as one cell runs it: its guest's vCPUs, and hotplug stress on or off. */
export function cellScenario(base: Scenario, cell: Pick<CellRecord, "cpus" | "hotplug">): Scenario {
  return { ...base, vm: { ...base.vm, cpus: cell.cpus }, workload: withHotplug(base.workload, cell.hotplug) };
}

/** What a new cell records of its scenario: the variant's description and the workload the cell runs. */
export function cellAbout(scenario: Scenario, key: CellKey): Pick<CellRecord, "description" | "workload"> {
  const description = scenario.variants[key.variant]!.description;
  return { ...(description && { description }), workload: workloadLine(cellScenario(scenario, key).workload) };
}

/** Expected verdicts of one scenario on one kernel and arch: each fix's, and REPRODUCES / CLEAN for the baseline. */
export function expectOf(loaded: LoadedScenario): Record<string, string> {
  const { scenario } = loaded;
  return { ...expectFor(scenario, loaded.kernel.name, loaded.arch.name), [scenario.baseline]: scenario.baselineExpect };
}

/** The record's and the cell runner's key of a loaded scenario: its name, kernel and arch. */
export function loadedKey(loaded: LoadedScenario): string {
  return targetKey({ scenario: loaded.scenario.name, kernel: loaded.kernel.name, arch: loaded.arch.name });
}

/** A fresh record for the one cell runner: no builds, no runs, every cell pending. */
export function newRunFile(
  f: Pick<RunFile, "kind" | "id" | "input" | "host" | "cells" | "expect" | "settings"> &
    Partial<Pick<RunFile, "request">>,
): RunFile {
  return {
    schema: RUN_SCHEMA,
    ...f,
    status: "running",
    startedAt: new Date().toISOString(),
    builds: {},
    signatures: {},
    timings: {},
  };
}

/** `kharness run`: one group, the scenario's variants on its kernel and guest shape. */
export function cellsOfRun(loaded: LoadedScenario, variants: string[], maxRuns: number): CellRecord[] {
  const { scenario } = loaded;
  return variants.map((variant) => {
    const arch = loaded.arch.name as ArchName;
    const key: CellKey = {
      scenario: scenario.name,
      kernel: loaded.kernel.name,
      arch,
      variant,
      cpus: scenario.vm.cpus,
      hotplug: hasHotplug(scenario.workload),
    };
    return newCell(key, scenario.baseline, maxRuns, buildKey(key), cellAbout(scenario, key));
  });
}

/** The run's input file and its hash, from the text that was loaded (not re-read). */
export function inputOf(name: string, file: string, text: string): RunFile["input"] {
  return { name, file: path.relative(process.cwd(), file), sha256: sha256(text) };
}

/** A recorded run to go on with: running again, without the ending it had. */
export function reopened(prior: RunFile): RunFile {
  const { error: _error, finishedAt: _finished, ...rest } = prior;
  return { ...rest, status: "running" };
}

/** One run of a round: its cell, its number, and for a fix how to find its trial window. */
export interface RoundTask {
  cell: CellRecord;
  iteration: number;
  /**
   * A fix run's window, asked for when the run starts: from the baseline runs finished by
   * then, so it is fixed before the run and never depends on it. The baseline's run comes
   * first in its round, so with one VM at a time even a first round's fix runs are cut at
   * the window of that round's baseline run; with more VMs a fix run that starts before any
   * baseline report runs the whole workload.
   */
  windowAtStart?: () => number | undefined;
}

/** A round as the stopping rules plan it: the cells they close (and why), and the runs the others get. */
export interface RoundPlan {
  close: { cell: CellRecord; why: string; judgedAgainst?: number }[];
  tasks: RoundTask[];
}

const addTime = (run: RunFile, stage: string, ms: number) => (run.timings[stage] = (run.timings[stage] ?? 0) + ms);

/** A kernel built for a build key (cached or compiled): its record, its toolchain, its time. */
export function recordBuilt(run: RunFile, cell: CellRecord, kernel: KernelRecord, buildMs: number): void {
  const { scenario, kernel: recipe, arch } = cell;
  run.builds[cell.build] = { ...kernel, scenario, kernel: recipe, arch, status: "built" };
  run.host.toolchain = kernel.toolchain;
  addTime(run, "build", buildMs);
}

/** A kernel that did not compile: its build is failed, and so is every pending cell that needs it. */
export function recordBuildFailed(run: RunFile, cell: CellRecord, reason: string, buildLog: string): void {
  const { scenario, kernel, arch, variant } = cell;
  run.builds[cell.build] = { status: "failed", scenario, kernel, arch, variant, reason, buildLog };
  for (const c of run.cells.filter((x) => x.status === "pending" && x.build === cell.build))
    Object.assign(c, { status: "failed", reason });
}

/** The accelerator an arch's guests run under in this session (a resumed run may run under another). */
export function recordAccel(run: RunFile, arch: ArchName, accel: AccelChoice): void {
  run.accels = { ...run.accels, [arch]: accel };
}

/** Keep a round's plan: the closed cells with their reason, the others open for their next run; its runs. */
export function applyRound(plan: RoundPlan): RoundTask[] {
  for (const { cell, why, judgedAgainst } of plan.close) {
    closeCell(cell, why);
    if (judgedAgainst !== undefined) cell.judgedAgainst = judgedAgainst;
  }
  for (const { cell } of plan.tasks) {
    cell.status = "pending";
    delete cell.stopped;
  }
  return plan.tasks;
}

/** A cell gets no more runs (for now: the rules may open it again). `failed` is kept for kernels that did not build. */
function closeCell(cell: CellRecord, why: string): void {
  const problems = cell.runs.filter((r) => r.status === "boot-failure" || r.status === "error" || r.status === "infra");
  cell.status = "done";
  cell.stopped = why;
  if (problems.length)
    cell.reason = problems.map((r) => `#${r.iteration} ${r.status}${r.reason ? `: ${r.reason}` : ""}`).join("; ");
}

/** Keep one iteration's record, its signatures and its time. */
export function recordIteration(run: RunFile, cell: CellRecord, out: IterationOutcome): void {
  cell.runs.push(out.record);
  for (const r of signatureRecordsOf(out.record.status, out.groups)) run.signatures[r.signature] ??= r;
  addTime(run, "boot", out.record.bootMs);
  addTime(run, "workload", out.record.workloadMs);
  addTime(run, "collect", out.record.collectMs);
}
