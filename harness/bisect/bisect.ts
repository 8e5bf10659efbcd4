import { promises as fs } from "node:fs";
import type { Progress } from "../core/progress.js";
import { UserError } from "../core/errors.js";
import type {
  BisectResult,
  BisectSettings,
  BisectState,
  CommitInfo,
  StepRecord,
  StepState,
} from "../records/bisect.js";
import type { RunStatus } from "../records/common.js";
import type { SignatureRecord } from "../records/run.js";
import { lowerBound } from "../verdict/bounds.js";
import { bugOf } from "../verdict/bugs.js";
import { booted } from "../verdict/verdict.js";
import {
  bisectTerms,
  chooseTarget,
  bisectCalibration,
  classifyStep,
  culpritConfidence,
  hasTarget,
  type StepRun,
  type Target,
} from "./decide.js";
import type { BisectProgress } from "./git.js";
import type { BisectRepo } from "./repo.js";

export type { BisectResult, BisectSettings, BisectState, StepRecord };

/** A kernel built for one commit, or why not (a skip, never good or bad). */
export type StepBuild =
  | { ok: true; imageHash: string; bzImage: string; cached: boolean; buildMs: number }
  | { ok: false; reason: string; buildMs: number };

export interface StepRunResult {
  booted: boolean;
  /** Signatures seen in the run (hang included). */
  signatures: string[];
  status: RunStatus;
  bootMs: number;
  workloadMs: number;
  /** What each signature of this run stands for. */
  found: SignatureRecord[];
}

/** What a bisection needs from the world: a kernel per commit, and fresh VM runs of it. Tests fake it. */
export interface BisectEnv {
  /** Build the commit checked out in the bisection's work tree. */
  build(commit: CommitInfo, label: string): Promise<StepBuild>;
  /** One fresh boot + workload + collect + parse of a built kernel. */
  test(build: Extract<StepBuild, { ok: true }>, label: string, run: number): Promise<StepRunResult>;
}

export function newBisectState(settings: BisectSettings): BisectState {
  return {
    settings,
    terms: bisectTerms(settings.direction),
    target: [],
    rateEvidence: { hits: 0, runs: 0 },
    signatures: {},
    steps: [],
  };
}

/** The reproduction rate's lower bound at the bisection's confidence, from the bad revision's check runs. */
export const rateOf = (s: BisectState) => lowerBound(s.rateEvidence.hits, s.rateEvidence.runs, s.settings.confidence);

/** The calibration of this bisection's clean calls: the bad revision's check runs stand in for the baseline. */
export const calibrationOf = (s: BisectState) =>
  bisectCalibration(s.rateEvidence, s.settings.confidence, s.settings.maxRuns);

/** Bugs, not signatures, as `run` judges them: one bug reached by another call path is the same bug. */
const bugsOf = (s: BisectState, signatures: string[]) => signatures.map((sig) => bugOf(sig, s.signatures));
const targetOf = (s: BisectState): Target => new Set(bugsOf(s, s.target));

/** Builds that ran make (cache hits excluded) and VM runs, for the evidence and the benchmark. */
export function bisectCost(s: BisectState): { builds: number; vmRuns: number; steps: number } {
  return {
    builds: s.steps.filter((x) => x.build.ok === false || x.build.cached === false).length,
    vmRuns: s.steps.reduce((n, x) => n + x.runs.length, 0),
    steps: s.steps.filter((x) => x.index > 0).length,
  };
}

/** Build the step's commit and record how it went. */
async function buildStep(step: StepRecord, env: BisectEnv, label: string): Promise<StepBuild> {
  const built = await env.build(step.commit, label);
  step.build = built.ok
    ? { ok: true, imageHash: built.imageHash, cached: built.cached, buildMs: built.buildMs }
    : { ok: false, reason: built.reason, buildMs: built.buildMs };
  return built;
}

/** One more fresh run of the step's kernel, recorded in the step and the state, then saved. */
async function runStep(
  state: BisectState,
  step: StepRecord,
  env: BisectEnv,
  built: Extract<StepBuild, { ok: true }>,
  label: string,
  save: () => Promise<void>,
): Promise<StepRunResult> {
  const r = await env.test(built, label, step.runs.length + 1);
  step.runs.push({ status: r.status, bootMs: r.bootMs, workloadMs: r.workloadMs, signatures: r.signatures });
  for (const f of r.found) state.signatures[f.signature] ??= f;
  await save();
  return r;
}

/**
 * Run one commit until its state is decided: build, then fresh runs until the target
 * shows (splat) or enough clean runs for the confidence at the current rate (clean). A
 * failed build or runs that never boot are a skip. A kernel image already tested is not
 * run again.
 */
async function decideCommit(
  state: BisectState,
  step: StepRecord,
  env: BisectEnv,
  save: () => Promise<void>,
  progress: Progress,
  label: string,
): Promise<StepState> {
  const target = targetOf(state);
  const built = await buildStep(step, env, label);
  if (!built.ok) return { state: "skip", reason: `build failed: ${built.reason}` };
  const twin = state.steps.find(
    (s) => s !== step && s.build.imageHash === built.imageHash && s.state && s.state.state !== "more" && s.index > 0,
  );
  if (twin) {
    step.sameImageAs = twin.index;
    progress.info(`${label}: same kernel image as step ${twin.index}, reusing its result (${twin.state!.state})`);
    return twin.state!;
  }
  for (;;) {
    const current = classifyStep(
      step.runs.map((r) => toStepRun(state, r)),
      target,
      state.rateEvidence,
      calibrationOf(state),
    );
    if (current.state !== "more" && step.runs.length > 0) return current;
    const r = await runStep(state, step, env, built, label, save);
    const seen = toStepRun(state, r);
    const hit = r.booted && hasTarget(seen, target);
    const others = seen.bugs.filter((x) => !target.has(x)).length;
    progress.info(
      `${label} run ${step.runs.length}: ${r.status}, ${hit ? "target splat seen" : "target splat not seen"}` +
        `${others ? ` (+${others} other signature(s))` : ""}`,
    );
  }
}

const toStepRun = (s: BisectState, r: Pick<StepRecord["runs"][number], "status" | "signatures">): StepRun => ({
  booted: booted(r),
  bugs: bugsOf(s, r.signatures),
});

/**
 * Check that the bad revision reproduces (before any bisection step), measure the rate and
 * choose the target signatures. Throws a UserError when it does not reproduce.
 */
export async function checkBadRevision(
  state: BisectState,
  repo: BisectRepo,
  env: BisectEnv,
  save: () => Promise<void>,
  progress: Progress,
): Promise<void> {
  let step = state.steps.find((s) => s.index === 0);
  if (!step) {
    step = { index: 0, commit: await repo.info(state.settings.bad), build: { ok: false, buildMs: 0 }, runs: [] };
    state.steps.push(step);
  }
  await repo.checkout(step.commit.hash);
  const label = `check-${step.commit.hash.slice(0, 12)}`;
  const built = await buildStep(step, env, label);
  if (!built.ok)
    throw new UserError(
      `the bad revision ${step.commit.hash.slice(0, 12)} does not build: ${built.reason}`,
      "give a --bad revision that builds with the scenario's config",
    );
  while (step.runs.length < state.settings.checkRuns) {
    const r = await runStep(state, step, env, built, label, save);
    progress.info(`${label} run ${step.runs.length}: ${r.status}, ${r.signatures.length} signature(s)`);
  }
  const ran = step.runs.filter(booted);
  const seen = [...new Set(ran.flatMap((r) => r.signatures))].map((sig) => state.signatures[sig]!).filter(Boolean);
  const { target, unmatched } = chooseTarget(seen, state.settings.signature);
  if (ran.length === 0)
    throw new UserError(
      `the bad revision ${step.commit.hash.slice(0, 12)} did not boot in ${step.runs.length} run(s)`,
      "check the scenario on that revision with kharness run first",
    );
  if (unmatched !== undefined) {
    throw new UserError(
      `--signature "${unmatched}" is not among the ${seen.length} signature(s) the bad revision showed`,
      `use one of:\n${seen.map((s) => `  ${s.signature}  ${s.title}`).join("\n")}`,
    );
  }
  if (target.size === 0) {
    throw new UserError(
      `the scenario does not reproduce on the bad revision ${step.commit.hash.slice(0, 12)} ` +
        `(${step.commit.subject}): no splat in ${ran.length} run(s)`,
      "check --bad (it must show the splat), or raise --max-runs",
    );
  }
  state.target = [...target];
  const hits = ran.filter((r) => hasTarget(toStepRun(state, r), targetOf(state))).length;
  state.rateEvidence = { hits, runs: ran.length };
  step.state = { state: "splat", hits, runs: ran.length };
  await save();
}

/**
 * The bisection proper: real `git bisect` in the bisection's repository, one decided commit
 * per step. Continues from `state` (a resumed run) and ends with the culprit or the range.
 */
export async function runBisection(
  state: BisectState,
  repo: BisectRepo,
  env: BisectEnv,
  save: () => Promise<void>,
  progress: Progress,
  logFile: string,
): Promise<BisectResult> {
  const { terms, settings } = state;
  const [newRev, oldRev] =
    settings.direction === "cause" ? [settings.bad, settings.good] : [settings.good, settings.bad];
  let at: BisectProgress;
  if (state.bisectLog) {
    await fs.writeFile(logFile, state.bisectLog);
    at = await repo.replay(logFile);
  } else at = await repo.start(terms, newRev, oldRev);

  while (at.kind === "next") {
    const next = at.commit;
    let step = state.steps.find((s) => s.index > 0 && s.commit.hash === next && s.mark === undefined);
    if (!step) {
      step = { index: state.steps.length, commit: await repo.info(next), build: { ok: false, buildMs: 0 }, runs: [] };
      state.steps.push(step);
    }
    const label = `step${step.index}-${step.commit.hash.slice(0, 12)}`;
    progress.info(
      `\nstep ${step.index}: ${step.commit.hash.slice(0, 12)} ${step.commit.subject}` +
        `${at.remaining !== undefined ? ` (${at.remaining} left after this)` : ""}`,
    );
    const decided = await decideCommit(state, step, env, save, progress, label);
    step.state = decided;
    step.mark = decided.state === "splat" ? terms.splat : decided.state === "clean" ? terms.clean : "skip";
    const clean =
      decided.state === "clean"
        ? ` (${decided.runs} clean run(s) against the bad revision's ` +
          `${state.rateEvidence.hits}/${state.rateEvidence.runs}: ` +
          `wrong with chance <= ${(1 - decided.confidence).toFixed(3)})`
        : "";
    progress.info(`step ${step.index}: ${step.mark}${clean}${decided.state === "skip" ? ` (${decided.reason})` : ""}`);
    at = await repo.mark(step.mark);
    state.bisectLog = await repo.log();
    await save();
  }

  if (at.kind === "first") {
    const clean = state.steps.filter((s) => s.state?.state === "clean" && s.sameImageAs === undefined).length;
    state.result = {
      kind: "culprit",
      commit: await repo.info(at.commit),
      confidence: culpritConfidence(clean, calibrationOf(state).worstFalseFixed.value),
    };
  } else {
    state.result = { kind: "ambiguous", candidates: await Promise.all(at.candidates.map((c) => repo.info(c))) };
  }
  await save();
  return state.result;
}
