/**
 * Trial windows: a clean fix run need not run the whole workload. The baseline's times from
 * the start of the workload to its first report set a window, twice the longest seen with a
 * floor. A fix run that stays clean for the window is a complete trial and stops there.
 *
 * What keeps this honest: every run that counts is the same trial, "a report within W of the
 * workload's start", for the window W the group has now. Each baseline hit is within W by
 * construction (W is at least twice its time). A fix run gets the window fixed when it
 * starts, from the baseline runs finished by then, and counts only while the group's window
 * is no longer than the one it ran: if a later baseline report comes late and W grows, the
 * shorter fix runs are no longer complete trials and are left out (never counted as clean).
 * Leaving a fix run out depends on the baseline's runs only, never on that run's outcome.
 */
import { booted } from "./bugs.js";

export interface WindowPolicy {
  /** The window is this many times the longest time to a baseline's first report. */
  factor: number;
  /** It is never shorter than this (ms): the workload's setup must fit in it. */
  floorMs: number;
}

/**
 * The floor is wide on purpose: a partial fix can move the bug later, onto a path that runs
 * on a kernel timer. The default scenario's writer wakes the flusher every 0.2 s, and on 6.1
 * both the baseline's and the reorder fix's first reports (the writer's path, the worker's)
 * come within 1.1 s of the workload's start; at the kernel's own 5 s flusher period the
 * reorder fix's came 3.3 s in. 10 s is two periods of that timer.
 */
export const DEFAULT_WINDOW: WindowPolicy = { factor: 2, floorMs: 10_000 };

/** What a run says about its timing: when its first report came, and the window it ran for. */
export interface TimedRun {
  status: Parameters<typeof booted>[0]["status"];
  primary?: string;
  /** ms from the workload's start to the first report the watch saw. */
  firstReportMs?: number;
  /** The window this run was cut at; absent when it ran the whole workload. */
  windowMs?: number;
}

/** The window the baseline's runs set; none (the whole workload) before the baseline has a timed report. */
export function trialWindow(baselineRuns: TimedRun[], policy: WindowPolicy = DEFAULT_WINDOW): number | undefined {
  const times = baselineRuns.filter((r) => booted(r) && r.firstReportMs !== undefined).map((r) => r.firstReportMs!);
  if (times.length === 0) return undefined;
  return Math.max(policy.floorMs, Math.ceil(policy.factor * Math.max(...times)));
}

/** A fix run is a complete trial under window W unless it was cut at a shorter window (and stayed clean). */
export function isCompleteTrial(run: TimedRun, windowMs: number | undefined): boolean {
  if (run.windowMs === undefined || run.primary !== undefined) return true;
  return windowMs !== undefined && run.windowMs >= windowMs;
}
