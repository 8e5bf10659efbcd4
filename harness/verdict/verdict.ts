/** Judging fixes against the baseline: pure functions over per-run signature sets. */
import type { RunStatus, VerdictName } from "../records/common.js";

export type { RunStatus, VerdictName };

/** Runs in which the kernel booted and ran the workload, however it ended. */
export function booted(r: { status: RunStatus }): boolean {
  return r.status === "completed" || r.status === "crash" || r.status === "hang";
}

export interface RunRecord {
  status: RunStatus;
  /** Unique splat signatures seen in this run (a hang adds HANG_SIGNATURE). */
  signatures: string[];
}

/** What a signature stands for, for humans. */
export interface SignatureInfo {
  signature: string;
  title: string;
  callPath: string[];
}

/** A hang counts like a splat: it is evidence, and a fix can add or remove it. */
export const HANG_SIGNATURE = "hang";


export interface SignatureRate {
  signature: string;
  /** Runs (of those that booted) in which it appeared. */
  runs: number;
}

export interface VariantStats {
  variant: string;
  runs: number;
  /** Runs that booted and ran the workload (completed, crash or hang). */
  booted: number;
  hangs: number;
  bootFailures: number;
  errors: number;
  /** Runs the host spoiled (QEMU, a port, SSH): recorded, never evidence. */
  infra: number;
  /** Runs with at least one signature. */
  splatRuns: number;
  signatures: SignatureRate[];
}

export interface Verdict {
  fix: string;
  baseline: string;
  verdict: VerdictName;
  /** One sentence: why this verdict. */
  reason: string;
  /** Share of the baseline's booted runs that showed a baseline signature. */
  baselineRate: number;
  /** Booted fix runs with none of the baseline's signatures. */
  cleanRuns: number;
  /** (1-p)^M: the chance a bug still present at rate p stayed silent in M clean runs. */
  silentChance?: number;
  /** Baseline signatures the fix still shows. */
  remaining: SignatureRate[];
  /** Signatures the fix shows that the baseline never did. */
  added: SignatureRate[];
}

export function variantStats(variant: string, runs: RunRecord[]): VariantStats {
  const counts = new Map<string, number>();
  for (const r of runs) for (const s of new Set(r.signatures)) counts.set(s, (counts.get(s) ?? 0) + 1);
  return {
    variant,
    runs: runs.length,
    booted: runs.filter(booted).length,
    hangs: runs.filter((r) => r.status === "hang").length,
    bootFailures: runs.filter((r) => r.status === "boot-failure").length,
    errors: runs.filter((r) => r.status === "error").length,
    infra: runs.filter((r) => r.status === "infra").length,
    splatRuns: runs.filter((r) => r.signatures.length > 0).length,
    signatures: [...counts].map(([signature, n]) => ({ signature, runs: n })).sort((a, b) => b.runs - a.runs || a.signature.localeCompare(b.signature)),
  };
}

export function judgeFix(baseline: VariantStats, baseRuns: RunRecord[], fix: VariantStats, fixRuns: RunRecord[]): Verdict {
  const baseSigs = new Set(baseline.signatures.map((s) => s.signature));
  // Only runs that booted and ran the workload count, for the rate as for its denominator.
  const reproduced = baseRuns.filter(booted).filter((r) => r.signatures.some((s) => baseSigs.has(s))).length;
  const baselineRate = baseline.booted > 0 ? reproduced / baseline.booted : 0;
  const remaining = fix.signatures.filter((s) => baseSigs.has(s.signature));
  const added = fix.signatures.filter((s) => !baseSigs.has(s.signature));
  const cleanRuns = fixRuns.filter(booted).filter((r) => !r.signatures.some((s) => baseSigs.has(s))).length;
  const base = { fix: fix.variant, baseline: baseline.variant, baselineRate, cleanRuns, remaining, added };

  if (fix.bootFailures + fix.errors > 0) {
    return { ...base, verdict: "BROKEN", reason: `${fix.bootFailures} boot failure(s) and ${fix.errors} workload error(s) in ${fix.runs} runs` };
  }
  // New splats are a regression whether or not the baseline reproduced: with a clean
  // baseline they are the only evidence the run has.
  if (reproduced === 0 && added.length > 0) {
    return { ...base, verdict: "REGRESSED", reason: `the baseline was clean, and the fix shows ${added.length} signature(s) of its own` };
  }
  if (reproduced === 0) {
    return {
      ...base,
      verdict: "NOT REPRODUCED",
      reason: baseline.booted === 0 ? `the baseline never booted (${baseline.runs} runs)` : `the baseline was clean in all ${baseline.booted} booted runs: inconclusive`,
    };
  }
  if (remaining.length > 0) {
    return { ...base, verdict: "NOT FIXED", reason: `${remaining.length} baseline signature(s) remain` };
  }
  if (added.length > 0) {
    return { ...base, verdict: "REGRESSED", reason: `${added.length} signature(s) the baseline never showed` };
  }
  return {
    ...base,
    verdict: "FIXED",
    silentChance: (1 - baselineRate) ** cleanRuns,
    reason: `none of the baseline's ${baseSigs.size} signature(s) in ${cleanRuns} clean run(s)`,
  };
}

/** Exit status: 0 when every fix got its expected verdict (FIXED when none is given), else 1. */
export function verdictsExitCode(verdicts: Verdict[], expect: Record<string, VerdictName>): number {
  return verdicts.every((v) => v.verdict === (expect[v.fix] ?? "FIXED")) ? 0 : 1;
}

/** What a run leaves for judging: its ending and the signatures it showed. */
export interface JudgedRun {
  status: RunStatus;
  splats: { signature: string }[];
}

export function toRunRecord(r: JudgedRun): RunRecord {
  return { status: r.status, signatures: [...r.splats.map((s) => s.signature), ...(r.status === "hang" ? [HANG_SIGNATURE] : [])] };
}

/** Stats for every variant and a verdict for every fix against the baseline: one scenario, one kernel, one guest shape. */
export function judgeVariants(baseline: string, variants: string[], runsOf: (variant: string) => JudgedRun[]): { stats: VariantStats[]; verdicts: Verdict[] } {
  const records = new Map(variants.map((v) => [v, runsOf(v).map(toRunRecord)]));
  const stats = variants.map((v) => variantStats(v, records.get(v)!));
  const baseStats = stats.find((s) => s.variant === baseline)!;
  const verdicts = stats.filter((s) => s.variant !== baseline).map((s) => judgeFix(baseStats, records.get(baseline)!, s, records.get(s.variant)!));
  return { stats, verdicts };
}
