/**
 * The exact pass over the product's own round loop: every reachable state of one baseline
 * and one fix, with each run a hit or a miss, driven through `nextRound` (the scheduler)
 * and judged by `judgeGroups` (the verdicts) as `kharness run` wires them. Each state
 * carries its chance at every rate of a grid, so each outcome's chance is exact at each rate.
 * States with equal counts are merged: the rules read counts, not the order of the runs.
 */
import type { VerdictName } from "../../harness/records/common.js";
import type { IterationRecord, RunFile } from "../../harness/records/run.js";
import { nextRound } from "../../harness/pipeline/cells.js";
import { judgeGroups } from "../../harness/verdict/groups.js";
import { baselineAndFixRun, signatureMap } from "./runs.js";

export interface PassSettings {
  maxRuns: number;
  confidence: number;
  residual: number;
}

function startRun(s: PassSettings): RunFile {
  const run = baselineAndFixRun(["before", "fix"], s, "exact");
  run.signatures = signatureMap({ a: "bug:a" });
  return run;
}

const iteration = (i: number, hit: boolean): IterationRecord => ({
  iteration: i,
  status: "completed",
  bootMs: 0,
  workloadMs: 0,
  collectMs: 0,
  console: "",
  vmCommand: "",
  splats: hit ? [{ signature: "a", count: 1 }] : [],
  ...(hit && { primary: "a" }),
});

const stateKey = (run: RunFile) =>
  run.cells
    .map(
      (c) => `${c.status}:${c.judgedAgainst ?? "-"}:${c.runs.filter((r) => r.splats.length).length}/${c.runs.length}`,
    )
    .join("|");

/**
 * The chance of each verdict of the fix at each baseline rate in `rates`, when the fix's
 * rate is `share` of it (1: a fix that changes nothing, 0: a real fix).
 */
export function exactPass(s: PassSettings, rates: number[], share: number): Map<VerdictName, Float64Array> {
  const out = new Map<VerdictName, Float64Array>();
  let states = new Map<string, { run: RunFile; chance: Float64Array }>([
    ["start", { run: startRun(s), chance: new Float64Array(rates.length).fill(1) }],
  ]);
  while (states.size > 0) {
    const next = new Map<string, { run: RunFile; chance: Float64Array }>();
    for (const { run, chance } of states.values()) {
      const tasks = nextRound(run);
      if (tasks.length === 0) {
        const verdict = judgeGroups(run)[0]!.verdicts[0]!.verdict;
        const acc = out.get(verdict) ?? new Float64Array(rates.length);
        chance.forEach((c, i) => (acc[i]! += c));
        out.set(verdict, acc);
        continue;
      }
      for (let outcome = 0; outcome < 1 << tasks.length; outcome++) {
        const branch = structuredClone(run);
        const p = Float64Array.from(chance);
        tasks.forEach((t, bit) => {
          const hit = ((outcome >> bit) & 1) === 1;
          const cell = branch.cells.find((c) => c.id === t.cell.id)!;
          cell.runs.push(iteration(t.iteration, hit));
          rates.forEach((rate, i) => {
            const r = cell.variant === "before" ? rate : share * rate;
            p[i]! *= hit ? r : 1 - r;
          });
        });
        const key = stateKey(branch);
        const seen = next.get(key);
        if (seen) p.forEach((x, i) => (seen.chance[i]! += x));
        else next.set(key, { run: branch, chance: p });
      }
    }
    states = next;
  }
  return out;
}

/** 0.02, 0.03, ... 1 (or the step asked for). */
export function rateGrid(step = 0.01, from = 0.02): number[] {
  const n = Math.round((1 - from) / step);
  return Array.from({ length: n + 1 }, (_, i) => Math.round((from + i * step) * 1e6) / 1e6);
}

export const worst = (chances: Float64Array | undefined) => (chances ? Math.max(...chances) : 0);
