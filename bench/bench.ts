/**
 * What the README publishes about speed, in one run and one table (warm: the time to a
 * verdict, not to a build):
 * - the default scenario to its 95% verdicts with booted snapshots and trial windows, then the
 *   same with restore off: wall time, runs and why each stopped, the verdicts, boot times;
 * - the time a wedged guest costs (the wedge-selftest scenario);
 * - 20 fresh boots against 20 restores per scenario (bench/restore.ts);
 * - a second tree of the same code built from ccache (bench/ccache.ts).
 * Usage: npm run bench [-- --runs N] [-- --cold]; one part alone: npm run bench -- verdicts|restore|ccache
 * [--scenario NAME]. --cold first builds every kernel in a throwaway cache, for the build figures.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { argv } from "zx";
import { runCommand } from "../harness/commands/run.js";
import { createProgress } from "../harness/core/progress.js";
import { projectRoot } from "../harness/core/paths.js";
import type { RunFile } from "../harness/records/run.js";
import { accelsText, groupBaselineText } from "../harness/report/evidence.js";
import { judgeGroups } from "../harness/verdict/groups.js";
import { booted } from "../harness/verdict/verdict.js";
import { ccacheRows } from "./ccache.js";
import { RESTORE_SCENARIOS, restoreRows } from "./restore.js";
import { markdownTable, type Row } from "./support/table.js";

const scenario = (argv.scenario as string | undefined) ?? "memcg-hotplug-lockdep";
const PARTS = ["verdicts", "restore", "ccache"];
const part = argv._[0] as string | undefined;
if (part !== undefined && !PARTS.includes(part))
  throw new Error(`npm run bench -- ${part}: no such part; the parts are ${PARTS.join(", ")} (none: all of them)`);
process.env.KHARNESS_RESULTS = path.join(projectRoot, "results", "bench");
const cold = argv.cold === true ? await fs.mkdtemp(path.join(os.homedir(), ".cache", "kharness-bench-")) : undefined;
if (cold) process.env.KHARNESS_CACHE = cold;
const progress = createProgress();
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const stats = (xs: number[]) =>
  xs.length
    ? `${s(xs.reduce((a, b) => a + b, 0) / xs.length)} ` +
      `(min ${s(Math.min(...xs))}, max ${s(Math.max(...xs))}, n=${xs.length})`
    : "n/a";
const iterations = (r: RunFile) => r.cells.flatMap((c) => c.runs);

/** The rows for one run to a verdict: wall time, runs and stop reasons, bound, the test, boot time. */
function verdictRows(run: RunFile, wallMs: number): Row[] {
  const [group] = judgeGroups(run);
  const builds = Object.values(run.builds).flatMap((b) => (b.status === "built" ? [b] : []));
  return [
    [
      "host",
      `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `${run.host.qemu}, accel ${accelsText(run)}`,
    ],
    ...(cold
      ? builds.map((b): [string, string] => [
          `build ${b.variant}${b.cached ? " (cache hit)" : ""}`,
          `${s(b.buildMs)}, ${b.compiledObjects} objects compiled`,
        ])
      : []),
    [`time to the verdicts at ${Math.round(run.settings.confidence * 100)}% (${cold ? "cold" : "warm"})`, s(wallMs)],
    ...run.cells.map((c): [string, string] => [`runs of ${c.variant}`, `${c.runs.length}: ${c.stopped ?? c.status}`]),
    ...(group
      ? group.verdicts.map((v): [string, string] => [
          `verdict ${v.fix}`,
          `${v.verdict}` +
            `${v.test ? `, p ${v.test.pValue.toFixed(3)} vs level ${v.test.level.toFixed(3)}` : ""}` +
            `${v.moreNeeded ? `, ${v.moreNeeded} more runs needed` : ""}`,
        ])
      : []),
    ...(group
      ? [
          [
            "baseline",
            groupBaselineText(
              group.stats.find((x) => x.variant === group.baseline)!,
              run.settings.confidence,
            ),
          ] as [string, string],
        ]
      : []),
    [
      `accelerator`,
      Object.values(run.accels ?? {})
        .map((a) => `${a!.accel}: ${a!.reason}`)
        .join("; "),
    ],
    [
      `boot to workload (${accelsText(run)}, guest ready over SSH)`,
      stats(
        iterations(run)
          .filter(booted)
          .map((i) => i.bootMs),
      ),
    ],
    [
      `a restored run ready for its workload (SSH session open)`,
      stats(
        iterations(run)
          .filter((i) => booted(i) && i.boot === "restored")
          .map((i) => i.bootMs),
      ),
    ],
    [
      `cold boots (each saves its kernel's snapshot)`,
      stats(
        iterations(run)
          .filter((i) => booted(i) && i.boot !== "restored")
          .map((i) => i.bootMs),
      ),
    ],
    [
      "workload per run (decided runs stop early)",
      stats(
        iterations(run)
          .filter(booted)
          .map((i) => i.workloadMs),
      ),
    ],
    [
      "runs stopped early by a deciding report",
      `${iterations(run).filter((i) => i.stoppedEarly).length} of ${iterations(run).length}`,
    ],
  ];
}

const runs = Number(argv.runs ?? 20);
const rows: Row[] = [];
try {
  if (!part || part === "verdicts") rows.push(...(await verdictBench()));
  if (!part || part === "restore")
    rows.push(...(await restoreRows(runs, argv.scenario ? [scenario] : RESTORE_SCENARIOS)));
  if (!part || part === "ccache") rows.push(...(await ccacheRows(scenario, argv.variant as string | undefined)));
  const table = markdownTable(rows);
  console.log(`\n${table}`);
  const out = path.join(
    process.env.KHARNESS_RESULTS!,
    `bench-${part ? `${part}-` : ""}${new Date().toISOString().slice(0, 10)}.md`,
  );
  await fs.writeFile(out, `${table}\n`);
  console.log(`\nwritten to ${out}`);
} finally {
  if (cold) await fs.rm(cold, { recursive: true, force: true });
}

/** A copy of the scenario's folder with booted snapshots off (`vm.restore: false`), for the side-by-side figure. */
async function withoutRestore(name: string): Promise<string> {
  const src = path.join(projectRoot, "scenarios", name);
  const dir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "kharness-bench-")), name);
  await fs.cp(src, dir, { recursive: true });
  const file = path.join(dir, "scenario.yaml");
  const doc = YAML.parseDocument(await fs.readFile(file, "utf8"));
  doc.setIn(["vm", "restore"], false);
  await fs.writeFile(file, doc.toString());
  return dir;
}

/** The default scenario to its verdicts, with booted snapshots and without, then the wedge self-test. */
async function verdictBench(): Promise<Row[]> {
  const t0 = Date.now();
  const main = await runCommand({ scenario }, progress);
  const rows = verdictRows(main.run, Date.now() - t0);
  const copy = await withoutRestore(scenario);
  const tOff = Date.now();
  const off = await runCommand({ scenario: copy }, progress);
  rows.push(
    ...verdictRows(off.run, Date.now() - tOff)
      .filter(([k]) => /^(time to|runs of|boot to)/.test(k))
      .map(([k, v]): Row => [`${k}, restore off`, v]),
  );
  await fs.rm(path.dirname(copy), { recursive: true, force: true });
  const t1 = Date.now();
  const wedge = await runCommand({ scenario: "wedge-selftest" }, progress);
  const wedged = iterations(wedge.run)[0];
  rows.push([
    "a wedged guest (wedge-selftest): recorded as",
    `${wedged?.status} after ${s(wedged?.workloadMs ?? 0)} of workload ` +
      `(${s(Date.now() - t1)} with boot), timeout ${300} s`,
  ]);
  return rows;
}
