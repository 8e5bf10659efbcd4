import path from "node:path";
import type { RunFile, SignatureRecord } from "../records/run.js";
import type { BugSummary } from "../verdict/bugs.js";
import { judgeGroups, type GroupResult } from "../verdict/groups.js";
import { nameBug, type Verdict } from "../verdict/verdict.js";
import { evidenceParts } from "./evidence.js";
import { CASCADE_POINTER, splitBugs } from "./formats/common.js";

/** The terminal summary of one group: the table, the bugs, and a few lines per verdict. */

export function verdictLines(v: Verdict, sigs: Record<string, SignatureRecord>): string[] {
  const lines = [`${v.fix}: ${v.verdict} - ${v.reason}`];
  for (const r of v.remaining) lines.push(`    still there in ${r.runs} run(s): ${nameBug(r, sigs)}`);
  for (const a of v.added) lines.push(`    new first report in ${a.runs} run(s): ${nameBug(a, sigs)}`);
  const [first, ...rest] = evidenceParts(v);
  lines.push(`    ${[first, ...rest.slice(0, 1)].join("; ")}`);
  for (const part of rest.slice(1)) lines.push(`    ${part}`);
  return lines;
}

/** "before 3/3 (first 1)": runs that showed the bug, at all and as their first report. */
function perVariant(b: BugSummary): string {
  return b.variants.map((v) => `${v.variant} ${v.any}/${v.runs}${v.primary ? ` (first ${v.primary})` : ""}`).join(", ");
}

/** A few lines per bug that was some run's first report; the bugs only ever seen in a cascade as a count. */
export function bugLines(bugs: BugSummary[]): string[] {
  const { first: primaries, cascade: cascadeOnly } = splitBugs(bugs);
  const out = primaries.length
    ? ["bugs (runs that showed each, and as the run's first report):"]
    : ["no bug in any run"];
  for (const b of primaries) {
    out.push(`  ${b.title}  [${b.bug}]`);
    const paths = b.callPaths.map((p) => p.join(" <- "));
    out.push(
      `      ${b.culprit ? `culprit ${b.culprit}; ` : ""}` +
        `${paths.length ? `call path ${paths.join(" | ")}` : "no call path"}`,
    );
    out.push(`      ${perVariant(b)}; cascade ${b.cascadeSize} bug(s)`);
  }
  if (cascadeOnly.length)
    out.push(`  + ${cascadeOnly.length} bug(s) only ever after another report (cascade), ${CASCADE_POINTER}`);
  return out;
}

/** Plain-text table: variant, runs and how they ended, then the group's bugs. */
export function statsTable(group: GroupResult): string {
  const rows: string[][] = [["variant", "runs", "booted", "with bugs", "hangs", "boot failures", "errors", "infra"]];
  for (const s of group.stats)
    rows.push([s.variant, s.runs, s.booted, s.bugRuns, s.hangs, s.bootFailures, s.errors, s.infra].map(String));
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const out = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(width[c]!))
      .join("  ")
      .trimEnd(),
  );
  return [...out, "", ...bugLines(group.bugs)].join("\n");
}

/**
 * The kernels that did not build, each with its first compiler or linker error and its log, where the reader
 * looks first.
 */
export function buildFailureLines(run: RunFile, dir: string): string[] {
  return Object.entries(run.builds).flatMap(([key, b]) =>
    b.status === "failed" ? [`${key}: ${b.reason}`, `    log: ${path.join(dir, b.buildLog)}`] : [],
  );
}

/** The terminal summary: failed builds, then per group its table, each fix's verdict, each cell not as expected. */
export function summaryLines(run: RunFile, dir: string): string[] {
  const failedBuilds = buildFailureLines(run, dir);
  const lines = failedBuilds.length ? ["", ...failedBuilds] : [];
  for (const g of judgeGroups(run)) {
    lines.push("", statsTable(g), "");
    for (const v of g.verdicts) lines.push(...verdictLines(v, run.signatures));
    for (const r of g.results.filter((x) => !x.ok)) lines.push(`${r.cell.id}: expected ${r.expected}, got ${r.got}`);
  }
  return lines;
}
