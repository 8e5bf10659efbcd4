/**
 * The parts of a run record that planning fills in (runPlan.ts for run, matrixPlan.ts for
 * matrix): a fresh record, its cells and what they run, its expectations and input, and a
 * recorded run reopened to go on with.
 */
import path from "node:path";
import { sha256 } from "../core/hash.js";
import { buildKey, newCell, type CellKey } from "../matrix/expand.js";
import type { ArchName } from "../core/arch.js";
import { RUN_SCHEMA, targetKey, type CellRecord, type RunFile } from "../records/run.js";
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
export function newRunFile(f: Pick<RunFile, "kind" | "id" | "input" | "host" | "cells" | "expect" | "settings"> & Partial<Pick<RunFile, "request">>): RunFile {
  return { schema: RUN_SCHEMA, ...f, status: "running", startedAt: new Date().toISOString(), builds: {}, signatures: {}, timings: {} };
}

/** `kharness run`: one group, the scenario's variants on its kernel and guest shape. */
export function cellsOfRun(loaded: LoadedScenario, variants: string[], maxRuns: number): CellRecord[] {
  const { scenario } = loaded;
  return variants.map((variant) => {
    const arch = loaded.arch.name as ArchName;
    const key: CellKey = { scenario: scenario.name, kernel: loaded.kernel.name, arch, variant, cpus: scenario.vm.cpus, hotplug: hasHotplug(scenario.workload) };
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
