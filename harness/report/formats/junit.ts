import type { ReportModel } from "../model.js";
import { evidenceText } from "../evidence.js";
import { cellSeconds, cellView, didNotRun, sigTitle, type CellView } from "./common.js";

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

type Outcome = "pass" | "failure" | "error";

/** A cell's test case outcome: a pass when the cell got what was expected, whether or not it ran. */
function caseOutcome(run: ReportModel["run"], view: CellView): { kind: Outcome; outcome: string } {
  if (view.ok) return { kind: "pass", outcome: "" };
  const { cell } = view;
  if (didNotRun(cell)) {
    const message = `expected ${view.expected}, got ${view.verdict}: ${cell.reason ?? cell.status}`;
    return { kind: "error", outcome: `<error message="${xml(message)}" type="${cell.status}"/>` };
  }
  const titles = view.signatures.map((s) => sigTitle(run, s.signature));
  const message = `expected ${view.expected}, got ${view.verdict}${titles.length ? `: ${titles.join("; ")}` : ""}`;
  const evidence = view.fixVerdict ? [view.fixVerdict.reason, evidenceText(view.fixVerdict)] : [];
  const body = xml([...evidence, ...titles].join("\n"));
  return { kind: "failure", outcome: `<failure message="${xml(message)}" type="verdict">${body}</failure>` };
}

/**
 * JUnit XML: a suite per group, a test case per cell with its iterations as properties.
 * A cell whose result differs from the expectation fails (INCONCLUSIVE too, unless
 * expected), with the splat titles as the message; one that could not run is an error.
 */
export function junitReport({ run, groups }: ReportModel): string {
  const suites = groups.map((g) => {
    const cases = g.cells.map((c) => {
      const view = cellView(g, c);
      const props = c.runs.map(
        (r) =>
          `<property name="iteration.${r.iteration}" ` +
          `value="${xml(`${r.status}; ${r.splats.length} signature(s); ${r.console}`)}"/>`,
      );
      const { kind, outcome } = caseOutcome(run, view);
      const xmlCase =
        `    <testcase classname="${xml(g.id)}" name="${xml(c.variant)}" time="${cellSeconds(c).toFixed(1)}">\n` +
        `      <properties><property name="verdict" value="${xml(view.verdict)}"/>` +
        `${view.fixVerdict ? `<property name="evidence" value="${xml(evidenceText(view.fixVerdict))}"/>` : ""}` +
        `${props.join("")}</properties>${outcome ? `\n      ${outcome}` : ""}\n` +
        `    </testcase>`;
      return { kind, xmlCase };
    });
    const count = (k: Outcome) => cases.filter((x) => x.kind === k).length;
    const xmlSuite =
      `  <testsuite name="${xml(g.id)}" tests="${cases.length}" ` +
      `failures="${count("failure")}" errors="${count("error")}">\n` +
      `${cases.map((x) => x.xmlCase).join("\n")}\n  </testsuite>`;
    return { xmlSuite, tests: cases.length, failures: count("failure"), errors: count("error") };
  });
  const sum = (k: "tests" | "failures" | "errors") => suites.reduce((n, x) => n + x[k], 0);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="kharness ${xml(run.input.name)}" tests="${sum("tests")}" failures="${sum("failures")}" ` +
    `errors="${sum("errors")}">\n${suites.map((x) => x.xmlSuite).join("\n")}\n</testsuites>\n`
  );
}
