import type { ReportModel } from "../model.js";
import { cellView, sigTitle } from "./common.js";

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * JUnit XML: a suite per group, a test case per cell with its iterations as properties.
 * A cell whose verdict differs from the expectation fails, with the splat titles as the
 * message; a cell that could not run is an error.
 */
export function junitReport({ run, groups }: ReportModel): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const suites = groups.map((g) => {
    const cases = g.cells.map((c) => {
      tests++;
      const view = cellView(run, g, c);
      const time = c.runs.reduce((n, r) => n + r.bootMs + r.workloadMs + r.collectMs, 0) / 1000;
      const props = c.runs.map((r) => `<property name="iteration.${r.iteration}" value="${xml(`${r.status}; ${r.splats.length} signature(s); ${r.console}`)}"/>`);
      let outcome = "";
      if (c.status !== "done") {
        errors++;
        outcome = `<error message="${xml(c.reason ?? c.status)}" type="${c.status}"/>`;
      } else if (!view.ok) {
        failures++;
        const titles = view.signatures.map((s) => sigTitle(run, s.signature));
        const message = `expected ${view.expected}, got ${view.verdict}${titles.length ? `: ${titles.join("; ")}` : ""}`;
        outcome = `<failure message="${xml(message)}" type="verdict">${xml([view.fixVerdict?.reason ?? "", ...titles].filter(Boolean).join("\n"))}</failure>`;
      }
      return `    <testcase classname="${xml(g.id)}" name="${xml(c.variant)}" time="${time.toFixed(1)}">
      <properties><property name="verdict" value="${xml(view.verdict)}"/>${props.join("")}</properties>${outcome ? `\n      ${outcome}` : ""}
    </testcase>`;
    });
    const f = g.cells.filter((c) => c.status === "done" && !cellView(run, g, c).ok).length;
    const e = g.cells.filter((c) => c.status !== "done").length;
    return `  <testsuite name="${xml(g.id)}" tests="${g.cells.length}" failures="${f}" errors="${e}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kharness ${xml(run.matrix.name)}" tests="${tests}" failures="${failures}" errors="${errors}">\n${suites.join("\n")}\n</testsuites>\n`;
}
