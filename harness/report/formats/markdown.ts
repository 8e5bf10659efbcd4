import { signaturesOfRun, type Verdict } from "../../verdict/verdict.js";
import type { ReportModel } from "../model.js";
import { accelsText, evidenceText } from "../evidence.js";
import { shardProblems } from "../shards.js";
import type { BugSummary } from "../../verdict/bugs.js";
import {
  bugCount,
  bugsByVariant,
  CASCADE_POINTER,
  cellView,
  columns,
  hotplugLabel,
  secs,
  sigTitle,
  splitBugs,
} from "./common.js";

const cellText = (s: string) => s.replace(/\|/g, "\\|");

/** Per fix: both sides' evidence and the calibrated test that decided it (or the runs still needed). */
function confidenceSection(groups: ReportModel["groups"]): string[] {
  const line = (g: ReportModel["groups"][number], v: Verdict) =>
    `- ${g.scenario} ${g.kernel} ${g.arch} ${g.cpus} vCPUs hotplug ${hotplugLabel(g.hotplug)}, ` +
    `${v.fix}: **${v.verdict}**; ${evidenceText(v)}`;
  return ["## Confidence", "", ...groups.flatMap((g) => g.verdicts.map((v) => line(g, v))), ""];
}

/** Each variant once: what it is, and the patch series its kernel was built with. */
function variantLines(run: ReportModel["run"]): string[] {
  const seen = new Map<string, string>();
  for (const c of run.cells) {
    if (seen.has(c.variant)) continue;
    const build = run.builds[c.build];
    const series =
      build?.status === "built" ? build.patches.map((p) => p.name).join(" + ") || "no patches" : "not built";
    seen.set(c.variant, `- **${c.variant}**${c.description ? `: ${cellText(c.description)}` : ""} (${series})`);
  }
  return ["## Variants", "", ...seen.values(), ""];
}

/** The bugs that were some run's first report, with their runs per variant; the cascade as a count with a pointer. */
function bugSection(bugs: ReturnType<typeof splitBugs>, cols: string[]): string[] {
  return [
    "## Bugs",
    "",
    "A bug is a report's family and culprit frame. " +
      "Runs that showed each bug that was some run's first report, per variant, over all cells; " +
      '"first": as the run\'s first report (the rest of a run is its cascade).',
    "",
    `| bug | culprit | cascade | ${cols.join(" | ")} |`,
    `|---|---|---|${cols.map(() => "---|").join("")}`,
    ...bugs.first.map(
      (b) =>
        `| ${cellText(b.title)} | ${b.culprit ?? ""} | ${b.cascadeSize} | ${b.variants.map(bugCount).join(" | ")} |`,
    ),
    "",
    ...(bugs.cascade.length
      ? [
          `${bugs.cascade.length} more bug(s) only ever came after another report ` +
            `(the cascade of a tainted kernel), ${CASCADE_POINTER}.`,
          "",
        ]
      : []),
  ];
}

/** Runs in which each splat of those bugs appeared, per variant, over all cells. */
function splatSection(run: ReportModel["run"], first: BugSummary[], cols: string[]): string[] {
  const shown = first.flatMap((b) => b.signatures).filter((sig) => sig in run.signatures);
  const counts = (sig: string) =>
    cols.map((v) => {
      const cells = run.cells.filter((c) => c.variant === v);
      const total = cells.reduce((n, c) => n + c.runs.length, 0);
      const hits = cells.reduce((n, c) => n + c.runs.filter((r) => signaturesOfRun(r).includes(sig)).length, 0);
      return `${hits}/${total}`;
    });
  return [
    "## Splats",
    "",
    "Runs in which each unique splat of those bugs appeared, per variant, over all cells.",
    "",
    `| splat | ${cols.join(" | ")} |`,
    `|---|${cols.map(() => "---|").join("")}`,
    ...shown.map((sig) => `| ${cellText(sigTitle(run, sig))} | ${counts(sig).join(" | ")} |`),
    "",
  ];
}

/** A merged run whose shards did not all report: first, since its verdicts cover only part of the matrix. */
function shardSection(run: ReportModel["run"]): string[] {
  const problems = shardProblems(run.merge?.shards ?? []);
  if (problems.length === 0) return [];
  return [
    `## Incomplete: ${problems.length} of ${run.merge!.shards.length} shard(s) did not report in full`,
    "",
    ...problems.map((p) => `- ${p}`),
    "",
  ];
}

/** A summary fit for a CI step summary. */
export function markdownReport({ run, groups }: ReportModel): string {
  const cols = columns(groups);
  const bugs = splitBugs(bugsByVariant(run, cols));
  const failed = run.cells.filter((c) => c.status === "failed");
  const lines = [
    `# kharness ${run.input.name}: ${run.id}`,
    "",
    `Status **${run.status}**${run.error && !run.merge ? ` (${run.error})` : ""}; ` +
      `${run.cells.length} cell(s), ${failed.length} failed; accelerator ${accelsText(run)}` +
      `${run.jobs ? `; ${run.jobs.count} VM(s) at once` : ""}` +
      `${run.shard ? `; shard ${run.shard.index}/${run.shard.count}` : ""}.`,
    "",
    ...shardSection(run),
    "## Verdicts",
    "",
    "Baseline columns say whether the bug reproduced (booted runs with a bug / booted runs); " +
      "fix columns give the verdict against that baseline. " +
      "✗ marks a result that differs from the scenario's expectation.",
    "",
    `| scenario | kernel | arch | vCPUs | hotplug | ${cols.join(" | ")} |`,
    `|---|---|---|---|---|${cols.map(() => "---|").join("")}`,
    ...groups.map((g) => {
      const cells = cols.map((v) => {
        const c = g.cells.find((x) => x.variant === v);
        if (!c) return "";
        const view = cellView(g, c);
        return `${view.verdict} ${view.bugRuns}/${view.booted}${view.ok ? "" : ` ✗ (expected ${view.expected})`}`;
      });
      return (
        `| ${g.scenario} | ${g.kernel} | ${g.arch} | ${g.cpus} | ${hotplugLabel(g.hotplug)} | ` +
        `${cells.join(" | ")} |`
      );
    }),
    "",
    ...confidenceSection(groups),
    ...bugSection(bugs, cols),
    ...splatSection(run, bugs.first, cols),
    ...variantLines(run),
    ...(failed.length
      ? ["## Failed cells", "", ...failed.map((c) => `- \`${c.id}\`: ${c.reason ?? "no reason recorded"}`), ""]
      : []),
    "## Timings",
    "",
    ...Object.entries(run.timings).map(([k, ms]) => `- ${k}: ${secs(ms)}`),
    "",
  ];
  return lines.join("\n");
}
