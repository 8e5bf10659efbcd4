import type { ReportModel } from "../model.js";
import { accelsText, evidenceText } from "../evidence.js";
import type { BugSummary } from "../../verdict/bugs.js";
import { bugCount, bugsByVariant, cellView, columns, hotplugLabel, pct, secs, sigTitle, splitBugs } from "./common.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const COLORS: Record<string, string> = {
  FIXED: "#2e7d32",
  "NOT FIXED": "#c62828",
  REGRESSED: "#ad1457",
  BROKEN: "#6a1b9a",
  "NOT REPRODUCED": "#757575",
  INCONCLUSIVE: "#ef6c00",
  REPRODUCES: "#1565c0",
  CLEAN: "#9e9e9e",
  PENDING: "#bdbdbd",
};

/** Horizontal bars, one per stage, in plain SVG (no script, no CDN). */
function timingChart(timings: Record<string, number>): string {
  const stages = ["build", "boot", "workload", "collect"].filter((s) => timings[s] !== undefined);
  const max = Math.max(1, ...stages.map((s) => timings[s]!));
  const rows = stages.map((s, i) => {
    const w = Math.round((timings[s]! / max) * 480);
    return (
      `<text x="0" y="${i * 26 + 16}">${s}</text>` +
      `<rect x="90" y="${i * 26 + 4}" width="${w}" height="16" fill="#5c6bc0"></rect>` +
      `<text x="${96 + w}" y="${i * 26 + 16}">${secs(timings[s]!)}</text>`
    );
  });
  return (
    `<svg id="timings" width="680" height="${stages.length * 26 + 8}" font-family="sans-serif" font-size="13"` +
    ` role="img" aria-label="time per stage">${rows.join("")}</svg>`
  );
}

const anchor = (id: string) => `cell-${id.replace(/[^A-Za-z0-9-]/g, "_")}`;

/** The grid: a row per group, a column per variant, each cell coloured by its verdict. */
function gridRows({ groups }: ReportModel, cols: string[]): string {
  return groups
    .map((g) => {
      const tds = cols.map((v) => {
        const c = g.cells.find((x) => x.variant === v);
        if (!c) return "<td></td>";
        const view = cellView(g, c);
        const rate = pct(view.bugRuns, view.booted);
        const test = view.fixVerdict?.test;
        return (
          `<td class="cell" data-cell="${esc(c.id)}" data-verdict="${esc(view.verdict)}" data-ok="${view.ok}"` +
          ` style="background:${COLORS[view.verdict] ?? "#bdbdbd"}">\n` +
          `<a href="#${anchor(c.id)}"><b>${esc(view.verdict)}</b>` +
          `${view.ok ? "" : ` <span class="warn" title="expected ${esc(view.expected)}">&#x2717;</span>`}</a>\n` +
          `<div class="bar" title="${view.bugRuns} of ${view.booted} booted runs with a bug">` +
          `<i style="width:${rate}%"></i></div>` +
          `<small>${view.bugRuns}/${view.booted} runs with bugs` +
          `${test ? `; p ${test.pValue.toPrecision(2)}` : ""}</small></td>`
        );
      });
      return (
        `<tr data-group="${esc(g.id)}"><th>${esc(g.scenario)}</th><th>${esc(g.kernel)}</th><th>${esc(g.arch)}</th>` +
        `<th>${g.cpus}</th><th>${hotplugLabel(g.hotplug)}</th>${tds.join("")}</tr>`
      );
    })
    .join("\n");
}

/** A section per cell: its runs with their logs, its build, and each splat with its stack and console excerpt. */
function cellSections({ run, groups }: ReportModel): string {
  return groups
    .flatMap((g) =>
      g.cells.map((c) => {
        const view = cellView(g, c);
        const splats = view.signatures
          .map(({ signature, runs }) => {
            const s = run.signatures[signature];
            return (
              `<details class="splat"><summary>${esc(sigTitle(run, signature))}` +
              ` <small>(${runs}/${view.runs} runs)</small></summary>\n` +
              `<h4>stack</h4><pre>${esc((s?.frames ?? []).join("\n") || "(no trace)")}</pre>\n` +
              `<h4>console excerpt</h4><pre>${esc((s?.excerpt ?? []).join("\n"))}</pre></details>`
            );
          })
          .join("\n");
        const logs = c.runs
          .map(
            (r) =>
              `<li>#${r.iteration} ${esc(r.status)}${r.reason ? `: ${esc(r.reason)}` : ""}` +
              ` &middot; boot ${secs(r.bootMs)}, workload ${secs(r.workloadMs)}` +
              ` &middot; <a href="${esc(r.console)}">console</a>` +
              `${r.dmesg ? ` &middot; <a href="${esc(r.dmesg)}">dmesg</a>` : ""}</li>`,
          )
          .join("");
        const build = run.builds[c.build];
        const fixNote = view.fixVerdict
          ? `<p>${esc(view.fixVerdict.reason)}</p><p class="evidence">${esc(evidenceText(view.fixVerdict))}</p>`
          : "";
        const buildNote = build
          ? `${esc(build.status)}${build.buildLog ? ` (<a href="${esc(build.buildLog)}">log</a>)` : ""}` +
            `${build.status === "failed" ? ` ${esc(build.reason)}` : ""}`
          : "none";
        return (
          `<section id="${anchor(c.id)}"><h3>${esc(c.id)} &mdash; ${esc(view.verdict)}</h3>\n` +
          `${c.reason ? `<p class="reason">${esc(c.reason)}</p>` : ""}${fixNote}\n` +
          `<p>build: ${buildNote}</p>\n` +
          `<ul class="runs">${logs}</ul>${splats || "<p>no splat</p>"}</section>`
        );
      }),
    )
    .join("\n");
}

/** Bugs with title, culprit, call paths, cascade, and runs per variant (any report / first report). */
function bugTable(id: string, bugs: BugSummary[], cols: string[]): string {
  const rows = bugs.map(
    (b) =>
      `<tr><td>${esc(b.title)}</td><td>${esc(b.culprit ?? "")}</td>` +
      `<td class="path">${b.callPaths.map((p) => esc(p.join(" <- "))).join("<br>")}</td>` +
      `<td>${b.cascadeSize}</td>${b.variants.map((v) => `<td>${bugCount(v)}</td>`).join("")}</tr>`,
  );
  const head =
    `<th class="title">bug</th><th class="culprit">culprit</th>` +
    `<th class="paths">call paths</th><th class="n">cascade</th>` +
    `${cols.map((v) => `<th class="v">${esc(v)}</th>`).join("")}`;
  return `<table id="${id}" class="bugs"><thead><tr>${head}</tr></thead>\n<tbody>${rows.join("\n")}</tbody></table>`;
}

/** The bugs that were some run's first report, then the cascade folded away: what a reader needs first. */
function bugSections(run: ReportModel["run"], cols: string[]): string {
  const { first, cascade } = splitBugs(bugsByVariant(run, cols));
  const folded = cascade.length
    ? `<details id="cascade"><summary>${cascade.length} more bug(s) only ever came after another report` +
      ` (the cascade of a tainted kernel)</summary>\n${bugTable("cascade-bugs", cascade, cols)}</details>`
    : "";
  return (
    `<p>A bug is a report's family and culprit frame. These were some run's first report.` +
    ` Runs that showed each, per variant; "first": as the run's first report` +
    ` (the rest of a run is its cascade).</p>\n` +
    `${first.length ? bugTable("bugs", first, cols) : "<p>No bug in any run.</p>"}\n` +
    `${folded}`
  );
}

const GRID_NOTE =
  "<p>Baseline columns: did the bug reproduce. Fix columns: the verdict against that baseline," +
  " with the p-value of its calibrated two-sample test (p). &#x2717; marks a result other than the scenario expects." +
  " Bars: share of booted runs with a bug.</p>";

/**
 * One self-contained page: the grid coloured by verdict, rate bars, each splat with its stack and console
 * excerpt, timings, raw log links.
 */
export function htmlReport(model: ReportModel): string {
  const { run, groups } = model;
  const cols = columns(groups);
  const grid = gridRows(model, cols);
  const details = cellSections(model);
  const runLine =
    `<p>Run <code>${esc(run.id)}</code>, status <b id="status">${esc(run.status)}</b>` +
    `${run.error ? ` (${esc(run.error)})` : ""}; ${run.cells.length} cells; accelerator ${esc(accelsText(run))}` +
    `${run.jobs ? `; ${run.jobs.count} VM(s) at once` : ""}; started ${esc(run.startedAt)}` +
    `${run.finishedAt ? `, finished ${esc(run.finishedAt)}` : ""}.</p>`;
  const gridHead =
    "<th>scenario</th><th>kernel</th><th>arch</th><th>vCPUs</th><th>hotplug</th>" +
    cols.map((v) => `<th>${esc(v)}</th>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kharness ${esc(run.input.name)} ${esc(run.id)}</title>
<style>
body{font-family:sans-serif;margin:1.5em auto;padding:0 1em;color:#212121;max-width:1168px;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table#grid,table.bugs{border-collapse:collapse}
table.bugs{width:100%;table-layout:fixed}
.bugs th,.bugs td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
.bugs .title{width:26%}.bugs .culprit{width:13em}.bugs .n{width:5.5em}.bugs .v{width:6.5em}
.bugs td.path{font-family:monospace;font-size:12px}
details#cascade{margin-top:.8em}
details#cascade summary{cursor:pointer;color:#455a64}
#grid th,#grid td{border:1px solid #fff;padding:6px 10px;text-align:left;vertical-align:top}
#grid thead th{background:#eceff1}
#grid tbody th{background:#f5f5f5;font-weight:normal}
td.cell{color:#fff;min-width:9em}
td.cell a{color:#fff;text-decoration:none}
.bar{background:rgba(255,255,255,.35);height:6px;margin:4px 0;width:100%}
.bar i{display:block;background:#fff;height:6px}
.warn{color:#ffeb3b;font-weight:bold}
pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:24em}
section{border-top:1px solid #e0e0e0;margin-top:1em}
.legend span{display:inline-block;color:#fff;padding:2px 8px;margin-right:4px}
</style></head>
<body>
<h1>kharness ${esc(run.input.name)}</h1>
${runLine}
<p class="legend">${Object.entries(COLORS)
    .map(([k, c]) => `<span style="background:${c}">${k}</span>`)
    .join("")}</p>
${GRID_NOTE}
<div class="scroll"><table id="grid"><thead><tr>${gridHead}</tr></thead>
<tbody>
${grid}
</tbody></table></div>
<h2>Bugs</h2>
${bugSections(run, cols)}
<h2>Time per stage</h2>
${timingChart(run.timings)}
<h2>Cells</h2>
${details}
</body></html>
`;
}
