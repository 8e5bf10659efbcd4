import { signatureLabel } from "../parse/describe.js";
import { bisectCost, rateOf, type StepRecord } from "./bisect.js";
import type { BisectFile } from "../records/bisect.js";

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

interface StepRow {
  step: string;
  commit: string;
  subject: string;
  verdict: string;
  runs: string;
  target: string;
  other: string;
  build: string;
  boot: string;
  workload: string;
}

/** One row of evidence per tested commit: what was built and run, and what it showed. */
function stepRows(r: BisectFile): StepRow[] {
  const target = new Set(r.state.target);
  return r.state.steps.map((st: StepRecord) => {
    const hits = st.runs.filter((x) => x.signatures.some((g) => target.has(g))).length;
    const others = new Set(st.runs.flatMap((x) => x.signatures.filter((g) => !target.has(g))));
    return {
      step: st.index === 0 ? "check" : String(st.index),
      commit: st.commit.hash.slice(0, 12),
      subject: st.commit.subject,
      verdict:
        st.index === 0
          ? "reproduces"
          : (st.mark ?? "(running)") + (st.sameImageAs !== undefined ? ` (same image as step ${st.sameImageAs})` : ""),
      runs: String(st.runs.length),
      target: `${hits}/${st.runs.length}`,
      other: others.size ? [...others].map((g) => r.state.signatures[g]?.title ?? g).join("; ") : "",
      build: st.build.ok
        ? `${s(st.build.buildMs)}${st.build.cached ? " (cached)" : ""}`
        : `FAILED: ${st.build.reason ?? "?"}`,
      boot: s(st.runs.reduce((n, x) => n + x.bootMs, 0)),
      workload: s(st.runs.reduce((n, x) => n + x.workloadMs, 0)),
    };
  });
}

function resultLines(r: BisectFile): string[] {
  const res = r.state.result;
  const noun =
    r.state.settings.direction === "cause" ? "first commit with the splat" : "first commit without the splat";
  if (!res) return [`no answer yet (${r.status}${r.error ? `: ${r.error}` : ""})`];
  if (res.kind === "ambiguous") {
    return [
      `the ${noun} could be any of these (skipped commits hide the answer):`,
      ...res.candidates.map((c) => `  ${c.hash.slice(0, 12)} ${c.subject} (${c.author})`),
    ];
  }
  return [
    `${noun}: ${res.commit.hash} ${res.commit.subject}`,
    `  author ${res.commit.author}`,
    `  confidence ${(res.confidence * 100).toFixed(1)}% ` +
      "(each commit called clean passed FIXED's calibrated test against the bad revision's " +
      `${r.state.rateEvidence.hits}/${r.state.rateEvidence.runs}, rate >= ${rateOf(r.state).toFixed(2)})`,
  ];
}

function costLine(r: BisectFile): string {
  const c = bisectCost(r.state);
  const bound = Math.ceil(Math.log2(Math.max(2, r.rangeCommits))) + 1;
  return (
    `${c.steps} step(s), ${c.builds} build(s) (bound ceil(log2(${r.rangeCommits}))+1 = ${bound}), ` +
    `${c.vmRuns} VM run(s), ${s(r.timings.totalMs)} wall`
  );
}

/** The terminal summary: result, cost, and the evidence per step. */
export function bisectSummary(r: BisectFile): string {
  const rows = stepRows(r);
  const cols: (keyof StepRow)[] = ["step", "commit", "verdict", "target", "build", "boot", "workload"];
  const table = [cols, ...rows.map((x) => cols.map((c) => x[c]))].map((row) => row.map(String));
  const width = cols.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return [
    ...resultLines(r),
    costLine(r),
    "",
    ...table.map((row) => row.map((cell, i) => cell.padEnd(width[i]!)).join("  ")),
    "",
    "target signatures:",
    ...r.state.target.map((g) => `  [${g}] ${r.state.signatures[g] ? signatureLabel(r.state.signatures[g]) : g}`),
  ].join("\n");
}

export function bisectMarkdown(r: BisectFile): string {
  const o = r.options;
  return [
    `# kharness bisection ${r.id}`,
    "",
    `${r.state.settings.direction === "cause" ? "Cause" : "Fix"} bisection of scenario **${o.scenario}** ` +
      `in \`${o.tree}\`: good \`${o.good}\`, bad \`${o.bad}\`, confidence ${o.confidence}, ` +
      `status **${r.status}**${r.error ? ` (${r.error})` : ""}.`,
    "",
    "## Result",
    "",
    ...resultLines(r).map((l) => (l.startsWith("  ") ? `- ${l.trim()}` : l)),
    "",
    `Cost: ${costLine(r)}.`,
    "",
    "## Evidence per step",
    "",
    "| step | commit | subject | verdict | runs | target splat | other splats | build | boot | workload |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...stepRows(r).map(
      (x) =>
        `| ${x.step} | \`${x.commit}\` | ${x.subject} | ${x.verdict} | ${x.runs} | ${x.target} | ${x.other} | ` +
        `${x.build} | ${x.boot} | ${x.workload} |`,
    ),
    "",
    "## Target signatures",
    "",
    ...r.state.target.map((g) => `- \`${g}\` ${r.state.signatures[g] ? signatureLabel(r.state.signatures[g]) : g}`),
    "",
    "## Reproduce",
    "",
    "```sh",
    r.state.bisectLog
      ? `git bisect replay git-bisect.log   # in ${o.tree}, with the log next to this file`
      : "# no git bisect log yet",
    "```",
    "",
  ].join("\n");
}
