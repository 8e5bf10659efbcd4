import { parseConsole } from "../parse/parseConsole.js";
import type { VmInstance } from "../vm/types.js";

/** What the watch of a running workload has seen so far (times in ms). */
export interface WatchState {
  now: number;
  /** When the workload started. */
  startedAt: number;
  /** When the console first held a report (whole or not). */
  reportSeenAt?: number;
  /** The last time the workload printed anything. */
  lastOutputAt: number;
  /** When the console's first report was seen complete (more lines followed it). */
  reportEndedAt?: number;
  /** The first report's title, for the record. */
  reportTitle?: string;
  /** When the guest last failed to answer a probe; undefined once it answers again. */
  silentSince?: number;
}

/** How a watched run should end early. */
export type EarlyEnding =
  { kind: "decided"; reason: string } | { kind: "wedged"; reason: string } | { kind: "window"; reason: string };

export interface WatchConfig {
  tailMs: number;
  wedgeMs: number;
  /** A clean trial ends after this long with no report (a fix run under the baseline's trial window). */
  windowMs?: number;
}
export type WatchVerdict = { kind: "continue" } | EarlyEnding;

/**
 * Whether a run can end before its workload: its first report (the deciding one: the
 * kernel is tainted after it) has ended and the tail for its cascade has passed; or a
 * trial window passed with no report at all (a complete clean trial); or the guest printed
 * nothing for `wedgeMs` and does not answer, so waiting for the timeout would only cost
 * time. Pure, so every rule is tested without a guest.
 */
export function watchVerdict(s: WatchState, cfg: WatchConfig): WatchVerdict {
  if (cfg.tailMs > 0 && s.reportEndedAt !== undefined && s.now - s.reportEndedAt >= cfg.tailMs) {
    return {
      kind: "decided",
      reason:
        `stopped ${Math.round(cfg.tailMs / 1000)} s after the first report ended (${s.reportTitle}): ` +
        "the rest would be its cascade",
    };
  }
  if (cfg.windowMs !== undefined && s.reportSeenAt === undefined && s.now - s.startedAt >= cfg.windowMs) {
    return {
      kind: "window",
      reason: `clean for the trial window (${(cfg.windowMs / 1000).toFixed(1)} s): a complete trial`,
    };
  }
  const quietMs = s.now - s.lastOutputAt;
  // Silent for a third of wedgeMs (two or more probes unanswered), not one slow answer of a busy guest.
  if (quietMs >= cfg.wedgeMs && s.silentSince !== undefined && s.now - s.silentSince >= cfg.wedgeMs / 3) {
    return {
      kind: "wedged",
      reason: `no workload progress for ${Math.round(quietMs / 1000)} s and the guest does not answer over SSH`,
    };
  }
  return { kind: "continue" };
}

/** The first report of a console, where it ends, and whether lines follow it (so it may be whole). */
export function firstReport(console: string): { title: string; endLine: number; ended: boolean } | undefined {
  const [first] = parseConsole(console);
  if (!first) return undefined;
  const lines = console.split("\n").length;
  return { title: first.title, endLine: first.endLine, ended: first.endLine < lines - 2 };
}

const PROBE_TIMEOUT_MS = 8000;
/**
 * How often the console is read: a report's time and a decided run's end are known to this
 * much. A read costs a file read, and a parse only when the console grew.
 */
const POLL_MS = 250;

/**
 * Watch a running workload: poll the console for its first report, probe the guest when
 * the workload has been quiet. Resolves with how the run should end early, or never
 * (the caller races it with the workload and calls `stop`).
 */
export function watchRun(
  vm: VmInstance,
  cfg: WatchConfig & { pollMs?: number },
): { output(chunk: string): void; ending: Promise<EarlyEnding>; stop(): void; firstReportMs(): number | undefined } {
  const state: WatchState = { now: Date.now(), startedAt: Date.now(), lastOutputAt: Date.now() };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let parsedLength = -1;
  let endedBefore: ReturnType<typeof firstReport>;
  const ending = new Promise<EarlyEnding>((resolve) => {
    const tick = async () => {
      try {
        await step();
      } catch {
        // A console or a probe that fails now is retried at the next tick; the workload's own ending still counts.
      }
      if (stopped) return;
      const verdict = watchVerdict({ ...state, now: Date.now() }, cfg);
      if (verdict.kind !== "continue") return resolve(verdict);
      timer = setTimeout(() => void tick(), cfg.pollMs ?? POLL_MS);
    };
    const step = async () => {
      if (stopped) return;
      state.now = Date.now();
      if (state.reportEndedAt === undefined && (cfg.tailMs > 0 || cfg.windowMs !== undefined)) {
        const text = await vm.console().catch(() => "");
        const grew = text.length !== parsedLength;
        parsedLength = text.length;
        // Read while it prints, a report can look whole (lockdep's held locks listed, its trace
        // not yet): it is whole once a longer console ends it at the same line with the same
        // title, or the console stopped growing after it.
        const report = grew ? firstReport(text) : endedBefore;
        if (report) state.reportSeenAt ??= Date.now();
        const whole = report?.ended && endedBefore?.endLine === report.endLine && endedBefore.title === report.title;
        if (whole && cfg.tailMs > 0) Object.assign(state, { reportEndedAt: Date.now(), reportTitle: report.title });
        if (grew) endedBefore = report?.ended ? report : undefined;
      }
      if (state.now - state.lastOutputAt >= cfg.wedgeMs / 2) {
        const probe = await vm.shell.exec("true", PROBE_TIMEOUT_MS);
        state.silentSince = probe.code === 0 ? undefined : (state.silentSince ?? Date.now());
      }
    };
    timer = setTimeout(() => void tick(), cfg.pollMs ?? POLL_MS);
  });
  return {
    output: () => (state.lastOutputAt = Date.now()),
    ending,
    firstReportMs: () => (state.reportSeenAt === undefined ? undefined : state.reportSeenAt - state.startedAt),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
