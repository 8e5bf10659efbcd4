import { toRunRecord } from "../../verdict/verdict.js";
import type { ReportModel } from "../model.js";
import { cellView, columns, hotplugLabel, secs, sigTitle } from "./common.js";

/** A summary fit for a CI step summary or a mailing-list reply. */
export function markdownReport({ run, groups }: ReportModel): string {
  const cols = columns(groups);
  const failed = run.cells.filter((c) => c.status === "failed");
  const mark = (ok: boolean) => (ok ? "" : " ✗");
  const lines = [
    `# kharness ${run.input.name}: ${run.id}`,
    "",
    `Status **${run.status}**${run.error ? ` (${run.error})` : ""}; ${run.cells.length} cell(s), ${failed.length} failed; accelerator ${run.accel?.accel ?? "?"}${run.jobs ? `; ${run.jobs.count} VM(s) at once` : ""}${run.shard ? `; shard ${run.shard.index}/${run.shard.count}` : ""}.`,
    "",
    "## Verdicts",
    "",
    "Baseline columns say whether the bug reproduced (runs with a splat / runs); fix columns give the verdict against that baseline. ✗ marks a result that differs from the scenario's expectation.",
    "",
    `| scenario | kernel | vCPUs | hotplug | ${cols.join(" | ")} |`,
    `|---|---|---|---|${cols.map(() => "---|").join("")}`,
    ...groups.map((g) => {
      const cells = cols.map((v) => {
        const c = g.cells.find((x) => x.variant === v);
        if (!c) return "";
        const view = cellView(run, g, c);
        return `${view.verdict} ${view.splatRuns}/${view.runs}${mark(view.ok)}${view.expected && !view.ok && view.verdict !== "FAILED" ? ` (expected ${view.expected})` : ""}`;
      });
      return `| ${g.scenario} | ${g.kernel} | ${g.cpus} | ${hotplugLabel(g.hotplug)} | ${cells.join(" | ")} |`;
    }),
    "",
    "## Splats",
    "",
    "Runs in which each unique splat appeared, per variant, over all cells.",
    "",
    `| splat | ${cols.join(" | ")} |`,
    `|---|${cols.map(() => "---|").join("")}`,
    ...Object.keys(run.signatures).map((sig) => {
      const counts = cols.map((v) => {
        const cells = run.cells.filter((c) => c.variant === v);
        const total = cells.reduce((n, c) => n + c.runs.length, 0);
        const hits = cells.reduce((n, c) => n + c.runs.filter((r) => toRunRecord(r).signatures.includes(sig)).length, 0);
        return `${hits}/${total}`;
      });
      return `| ${sigTitle(run, sig).replace(/\|/g, "\\|")} | ${counts.join(" | ")} |`;
    }),
    "",
    ...(failed.length ? ["## Failed cells", "", ...failed.map((c) => `- \`${c.id}\`: ${c.reason ?? "no reason recorded"}`), ""] : []),
    "## Timings",
    "",
    ...Object.entries(run.timings).map(([k, ms]) => `- ${k}: ${secs(ms)}`),
    "",
  ];
  return lines.join("\n");
}
