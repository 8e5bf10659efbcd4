/**
 * Booted snapshots against fresh boots (`npm run bench -- restore`): for each scenario, the
 * baseline's kernel is run N times from a cold boot and N times restored from its booted
 * snapshot, in turns (fresh, restored, fresh, ...) so the host's load falls on both alike,
 * after one cold boot that saves the snapshot. For each side: the reproduction rate with its
 * exact 95% bounds (Clopper-Pearson, two-sided), the time from the disk's mount (the
 * workload's first console line) to the first report, the time to a guest ready over SSH,
 * and what appeared on one side only (bugs, stalls, clock warnings).
 * Part of `npm run bench`; alone: npm run bench -- restore [--runs 20] [--scenario NAME]...
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { createProgress } from "../harness/core/progress.js";
import { parseConsole } from "../harness/parse/parseConsole.js";
import { resultsRoot } from "../harness/core/paths.js";
import { prepareGuest } from "../harness/pipeline/guest.js";
import { runIteration, type IterationOutcome } from "../harness/pipeline/iteration.js";
import { prepareVariantKernel } from "../harness/pipeline/kernel.js";
import { loadScenario } from "../harness/scenario/load.js";
import type { Scenario } from "../harness/scenario/schema.js";
import { lowerBound, upperBound } from "../harness/verdict/bounds.js";
import { booted } from "../harness/verdict/verdict.js";
import { vmImplementation } from "../harness/vm/registry.js";
import type { Row } from "./support/table.js";

/** The default scenario, and one whose bug depends on the guest's random numbers. */
export const RESTORE_SCENARIOS = ["memcg-hotplug-lockdep", "memcg-coin-lockdep"];
const progress = createProgress();
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Console lines a watchdog or the clock prints when time jumps: a restore must not add any. */
const CLOCK_OR_STALL = new RegExp(
  [
    "soft lockup",
    "rcu_(?:sched|preempt) (?:self-)?detected stall",
    "blocked for more than",
    "clocksource",
    "timekeeping",
    "time went backwards",
    "hrtimer: interrupt took",
    "Watchdog detected hard LOCKUP",
    "TSC .*unstable",
  ].join("|"),
  "i",
);

interface Side {
  outcomes: IterationOutcome[];
  consoles: string[];
}

/**
 * Seconds from the workload's mount of the disk to the first report's first line (1-based), by the
 * guest's printk clock.
 */
function firstReportDelay(console: string, reportStartLine: number): number | undefined {
  const lines = console.split("\n");
  const ts = (line: string | undefined) => (line ? Number(/^\[\s*(\d+\.\d+)\]/.exec(line)?.[1] ?? NaN) : NaN);
  const mounted = lines.find((l) => /EXT4-fs \(vda\): mounted filesystem/.test(l));
  const delay = ts(lines[reportStartLine - 1]) - ts(mounted);
  return Number.isFinite(delay) ? delay : undefined;
}

function describeSide(side: Side): { rate: string; firstReport: string; ready: string; reproduced: number; n: number } {
  const judged = side.outcomes.filter((o) => booted(o.record));
  const hits = judged.filter((o) => o.record.primary !== undefined || o.record.status === "hang");
  const lo = lowerBound(hits.length, judged.length, 0.975);
  const hi = upperBound(hits.length, judged.length, 0.975);
  const delays = side.outcomes.flatMap((_outcome, i) => {
    const first = parseConsole(side.consoles[i]!)[0];
    const d = first ? firstReportDelay(side.consoles[i]!, first.startLine) : undefined;
    return d === undefined ? [] : [d];
  });
  const ready = judged.map((o) => o.record.bootMs);
  const spread = (xs: number[], f: (x: number) => string) => {
    if (!xs.length) return "n/a";
    return (
      `mean ${f(xs.reduce((a, b) => a + b, 0) / xs.length)} ` +
      `(min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))}, n=${xs.length})`
    );
  };
  return {
    rate:
      `${hits.length}/${judged.length} = ${(hits.length / Math.max(1, judged.length)).toFixed(2)}, ` +
      `95% [${lo.toFixed(3)}, ${hi.toFixed(3)}]`,
    firstReport: spread(delays, (x) => `${x.toFixed(2)} s`),
    ready: spread(ready, s),
    reproduced: hits.length,
    n: judged.length,
  };
}

/** Bug titles and clock or stall lines that one side showed and the other never did. */
function onlyIn(a: Side, b: Side): string[] {
  const titles = (x: Side) => new Set(x.outcomes.flatMap((o) => o.groups.map((g) => g.first.title)));
  // The message without its timestamp and caller, numbers masked: one line per kind of message.
  const message = (l: string) => l.replace(/^\[[^\]]*\](\[[^\]]*\])?\s*/, "").replace(/\d+/g, "N");
  const clock = (x: Side) =>
    new Set(
      x.consoles.flatMap((c) =>
        c
          .split("\n")
          .filter((l) => CLOCK_OR_STALL.test(l))
          .map(message),
      ),
    );
  const [ta, tb, ca, cb] = [titles(a), titles(b), clock(a), clock(b)];
  return [
    ...[...ta].filter((t) => !tb.has(t)).map((t) => `bug: ${t}`),
    ...[...ca].filter((l) => !cb.has(l)).map((l) => `console: ${l}`),
  ];
}

/** The baseline of one scenario, N fresh and N restored runs in turns; its rows for the table. */
async function compare(name: string, runs: number): Promise<Row[]> {
  const loaded = await loadScenario(name);
  const baseline = loaded.scenario.baseline;
  const runDir = path.join(
    resultsRoot(),
    `restore-${name}-${new Date().toISOString().replace(/[:.]/g, "").slice(0, 15)}`,
  );
  const kernel = await prepareVariantKernel(loaded, baseline, path.join(runDir, "builds", `${baseline}.log`), progress);
  const vm = vmImplementation("qemu");
  const guest = await prepareGuest(runDir, loaded.arch, kernel.image.bzImage, vm, progress);
  const withRestore = (restore: boolean): Scenario => ({ ...loaded.scenario, vm: { ...loaded.scenario.vm, restore } });
  const one = async (label: string, i: number, restore: boolean, into?: Side) => {
    const out = await runIteration(
      {
        scenario: withRestore(restore),
        arch: loaded.arch,
        label,
        iteration: i,
        bzImage: kernel.image.bzImage,
        guest,
        runDir,
        vm,
      },
      progress,
    );
    into?.outcomes.push(out);
    into?.consoles.push(await fs.readFile(path.join(runDir, out.record.console), "utf8").catch(() => ""));
    return out;
  };
  const prime = await one("save", 1, true);
  const fresh: Side = { outcomes: [], consoles: [] };
  const restored: Side = { outcomes: [], consoles: [] };
  for (let i = 1; i <= runs; i++) {
    await one("fresh", i, false, fresh);
    await one("restored", i, true, restored);
  }
  const [f, r] = [describeSide(fresh), describeSide(restored)];
  const notRestored = restored.outcomes.filter((o) => o.record.boot !== "restored").length;
  const interval = (x: { reproduced: number; n: number }) =>
    [lowerBound(x.reproduced, x.n, 0.975), upperBound(x.reproduced, x.n, 0.975)] as const;
  const overlap = Math.max(interval(f)[0], interval(r)[0]) <= Math.min(interval(f)[1], interval(r)[1]);
  return [
    [`${name}: the saving run`, `${prime.record.boot}, ready in ${s(prime.record.bootMs)} (boot and save)`],
    [`${name}: reproduction, fresh`, f.rate],
    [
      `${name}: reproduction, restored`,
      `${r.rate}${notRestored ? ` (${notRestored} run(s) fell back to a cold boot)` : ""}`,
    ],
    [`${name}: the rates agree within their bounds`, overlap ? "yes (the 95% intervals overlap)" : "NO"],
    [`${name}: mount to first report, fresh`, f.firstReport],
    [`${name}: mount to first report, restored`, r.firstReport],
    [`${name}: start to SSH session open, fresh boot`, f.ready],
    [`${name}: start to SSH session open, restored`, r.ready],
    [`${name}: only after restores`, onlyIn(restored, fresh).join("; ") || "nothing"],
    [`${name}: only after fresh boots`, onlyIn(fresh, restored).join("; ") || "nothing"],
    [`${name}: results`, runDir],
  ];
}

/** N fresh boots against N restores of each scenario's baseline: the table's rows. */
export async function restoreRows(runs: number, scenarios: string[] = RESTORE_SCENARIOS): Promise<Row[]> {
  const rows: Row[] = [[`fresh boots against restores`, `${runs} and ${runs} per scenario, in turns`]];
  for (const name of scenarios) rows.push(...(await compare(name, runs)));
  return rows;
}
