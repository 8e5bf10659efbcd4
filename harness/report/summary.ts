import { signatureLabel } from "../parse/describe.js";
import type { SignatureRecord } from "../records/run.js";
import type { GroupResult } from "../verdict/groups.js";
import type { Verdict } from "../verdict/verdict.js";

/** The terminal summary of one group: the table, the signatures, and a few lines per verdict. */

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function describeSig(sig: SignatureRecord | undefined, id: string): string {
  return sig ? signatureLabel(sig) : id;
}

export function verdictLines(v: Verdict, sigs: Record<string, SignatureRecord>): string[] {
  const lines = [`${v.fix}: ${v.verdict} - ${v.reason}`];
  for (const r of v.remaining) lines.push(`    still there in ${r.runs} run(s): ${describeSig(sigs[r.signature], r.signature)}`);
  for (const a of v.added) lines.push(`    new in ${a.runs} run(s): ${describeSig(sigs[a.signature], a.signature)}`);
  lines.push(`    baseline reproduction rate ${pct(v.baselineRate)}; ${v.cleanRuns} clean run(s) of the fix`);
  if (v.silentChance !== undefined) {
    lines.push(`    chance a bug still present would have stayed silent: (1-${v.baselineRate.toFixed(2)})^${v.cleanRuns} = ${v.silentChance.toPrecision(2)}`);
  }
  return lines;
}

/** Plain-text table: variant, runs, hangs, boot and infra failures, then one row per signature. */
export function statsTable(group: GroupResult, sigs: Record<string, SignatureRecord>): string {
  const rows: string[][] = [["variant", "runs", "with splats", "hangs", "boot failures", "infra"]];
  for (const s of group.stats) rows.push([s.variant, String(s.runs), String(s.splatRuns), String(s.hangs), String(s.bootFailures), String(s.infra)]);
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const out = rows.map((r) => r.map((cell, c) => cell.padEnd(width[c]!)).join("  "));
  out.push("", "runs with each signature:");
  const seen = new Set(group.stats.flatMap((s) => s.signatures.map((x) => x.signature)));
  for (const sigId of seen) {
    const counts = group.stats.map((s) => `${s.variant} ${s.signatures.find((x) => x.signature === sigId)?.runs ?? 0}/${s.runs}`);
    out.push(`  [${sigId}] ${describeSig(sigs[sigId], sigId)}`, `      ${counts.join(", ")}`);
  }
  return out.join("\n");
}
