/**
 * Sequential runs: after each round (one run of every undecided variant), which variants
 * need another run and why. Pure: the scheduler calls planGroup with every run so far. A fix
 * stops at its first decided verdict (`decideFix`) and keeps it: the calibrated levels hold
 * for the procedure that decides once, at the round it stops. The baseline runs while any
 * fix is undecided, within its budget.
 *
 * Budgets: at most maxRuns runs that are evidence (booted, boot failure or error) per
 * variant, and separately at most maxRuns infra runs: the host's failures never count as
 * evidence, but a host that keeps failing must not loop forever.
 */
import type { SignatureRecord } from "../records/run.js";
import type { JudgedRun } from "./bugs.js";
import type { WindowPolicy } from "./window.js";
import { baselineEvidence, budgetSpent, judgeFixInGroup, nameBug, type Verdict } from "./verdict.js";

export interface GroupPlanInput {
  baseline: string;
  /** Every variant of the group, the baseline included ([] before its first run). */
  runs: Record<string, JudgedRun[]>;
  /** Fixes decided in an earlier round: their verdicts are kept, and they get no more runs. */
  decided: string[];
  signatures: Record<string, SignatureRecord>;
  confidence: number;
  maxRuns: number;
  residual: number;
  window?: WindowPolicy;
}

export interface VariantPlan {
  /** No more runs: the verdict is decided, or a budget is spent. */
  done: boolean;
  why: string;
}

const rate = (b: { k: number; n: number; pLow: number }) => `baseline ${b.k}/${b.n} (rate >= ${b.pLow.toFixed(2)})`;

/** The scheduler's line for a fix: its verdict, what decided it, and for NOT FIXED the bug. */
function fixLine(v: Verdict, signatures: Record<string, SignatureRecord>): string {
  if (!v.done) return `${v.verdict} so far: ${v.why}`;
  const named = v.verdict === "NOT FIXED" ? `: ${nameBug(v.remaining[0]!, signatures)}` : "";
  return `${v.verdict}: ${v.why}${named}`;
}

/** For each variant of one group: does it need another run, and why. */
export function planGroup(input: GroupPlanInput): Record<string, VariantPlan> {
  const ctx = {
    signatures: input.signatures,
    confidence: input.confidence,
    maxRuns: input.maxRuns,
    residual: input.residual,
    ...(input.window && { window: input.window }),
  };
  const baseRuns = input.runs[input.baseline] ?? [];
  const base = baselineEvidence(input.baseline, baseRuns, ctx);
  const fixes = Object.keys(input.runs).filter((v) => v !== input.baseline);
  const plans: Record<string, VariantPlan> = {};
  for (const f of fixes) {
    if (input.decided.includes(f)) {
      plans[f] = { done: true, why: "decided in an earlier round" };
      continue;
    }
    const v = judgeFixInGroup(input.baseline, baseRuns, f, input.runs[f]!, ctx);
    plans[f] = { done: v.done, why: fixLine(v, input.signatures) };
  }
  const spent = budgetSpent(baseRuns, input.maxRuns);
  const open = fixes.filter((f) => !plans[f]!.done);
  plans[input.baseline] = spent
    ? { done: true, why: `${spent}; ${rate(base)}` }
    : open.length === 0 && fixes.length > 0
      ? { done: true, why: `every fix is decided; ${rate(base)}` }
      : { done: false, why: `${rate(base)}; ${fixes.length ? `${open.length} fix(es) undecided` : "no fix to judge"}` };
  return plans;
}
