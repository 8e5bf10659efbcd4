import { signatureLabel } from "../parse/describe.js";
import type { RunRecordFile, SignatureRecord } from "./runRecord.js";
import type { Verdict } from "../verdict/verdict.js";

/** Human summaries of a run: the terminal table and summary.md share one source. */

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function describeSig(sig: SignatureRecord | undefined, id: string): string {
  return sig ? signatureLabel(sig) : id;
}

export function verdictLine(v: Verdict, sigs: Record<string, SignatureRecord>): string[] {
  const head = `${v.fix}: ${v.verdict} - ${v.reason}`;
  const lines = [head];
  for (const r of v.remaining) lines.push(`    still there in ${r.runs} run(s): ${describeSig(sigs[r.signature], r.signature)}`);
  for (const a of v.added) lines.push(`    new in ${a.runs} run(s): ${describeSig(sigs[a.signature], a.signature)}`);
  lines.push(`    baseline reproduction rate ${pct(v.baselineRate)}; ${v.cleanRuns} clean run(s) of the fix`);
  if (v.silentChance !== undefined) {
    lines.push(`    chance a bug still present would have stayed silent: (1-${v.baselineRate.toFixed(2)})^${v.cleanRuns} = ${v.silentChance.toPrecision(2)}`);
  }
  return lines;
}

/** Plain-text table: variant, runs, hangs, boot failures, then one row per signature. */
export function statsTable(run: RunRecordFile): string {
  const rows: string[][] = [["variant", "runs", "with splats", "hangs", "boot failures"]];
  for (const s of run.stats) rows.push([s.variant, String(s.runs), String(s.splatRuns), String(s.hangs), String(s.bootFailures)]);
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => r.map((cell, c) => cell.padEnd(width[c]!)).join("  ");
  const out = rows.map(fmt);
  out.push("", "runs with each signature:");
  for (const sigId of Object.keys(run.signatures)) {
    const counts = run.stats.map((s) => `${s.variant} ${s.signatures.find((x) => x.signature === sigId)?.runs ?? 0}/${s.runs}`);
    out.push(`  [${sigId}] ${describeSig(run.signatures[sigId], sigId)}`, `      ${counts.join(", ")}`);
  }
  return out.join("\n");
}

export function summaryMarkdown(run: RunRecordFile): string {
  const lines = [
    `# kharness run ${run.id}`,
    "",
    `Scenario **${run.scenario.name}**, status **${run.status}**${run.error ? ` (${run.error})` : ""}, accel ${run.accel?.accel ?? "?"} (${run.accel?.reason ?? "not chosen"}).`,
    "",
    "## Verdicts",
    "",
    "| fix | verdict | expected | baseline rate | clean runs | silent chance |",
    "|---|---|---|---|---|---|",
    ...run.verdicts.map(
      (v) =>
        `| ${v.fix} | **${v.verdict}** | ${run.scenario.expect[v.fix] ?? "FIXED"} | ${pct(v.baselineRate)} | ${v.cleanRuns} | ${v.silentChance === undefined ? "" : v.silentChance.toPrecision(2)} |`,
    ),
    "",
    "## Runs",
    "",
    "| variant | runs | with splats | hangs | boot failures |",
    "|---|---|---|---|---|",
    ...run.stats.map((s) => `| ${s.variant} | ${s.runs} | ${s.splatRuns} | ${s.hangs} | ${s.bootFailures} |`),
    "",
    "## Signatures (runs in which each appeared)",
    "",
    `| signature | title | call path | ${run.stats.map((s) => s.variant).join(" | ")} |`,
    `|---|---|---|${run.stats.map(() => "---|").join("")}`,
    ...Object.values(run.signatures).map(
      (sig) =>
        `| ${sig.signature} | ${sig.title} | ${sig.callPath.join(" <- ")} | ${run.stats.map((s) => `${s.signatures.find((x) => x.signature === sig.signature)?.runs ?? 0}/${s.runs}`).join(" | ")} |`,
    ),
    "",
    "## Timings (s)",
    "",
    ...Object.entries(run.timings).map(([k, ms]) => `- ${k}: ${(ms / 1000).toFixed(1)}`),
    "",
  ];
  return lines.join("\n");
}
