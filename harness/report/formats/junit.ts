import type { ReportModel } from "../model.js";
import { evidenceText } from "../evidence.js";
import { cellSeconds, cellView, sigTitle } from "./common.js";

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * JUnit XML: a suite per group, a test case per cell with its iterations as properties.
 * A cell whose verdict differs from the expectation fails (INCONCLUSIVE too, unless
 * expected), with the splat titles as the message; a cell that could not run is an error.
 */
export function junitReport({ run, groups }: ReportModel): string {
  type Outcome = "pass" | "failure" | "error";
  const suites = groups.map((g) => {
    const cases = g.cells.map((c) => {
      const view = cellView(run, g, c);
      const props = c.runs.map((r) => `<property name="iteration.${r.iteration}" value="${xml(`${r.status}; ${r.splats.length} signature(s); ${r.console}`)}"/>`);
      let kind: Outcome = "pass";
      let outcome = "";
      if (c.status !== "done") {
        kind = "error";
        outcome = `<error message="${xml(c.reason ?? c.status)}" type="${c.status}"/>`;
      } else if (!view.ok) {
        kind = "failure";
        const titles = view.signatures.map((s) => sigTitle(run, s.signature));
        const message = `expected ${view.expected}, got ${view.verdict}${titles.length ? `: ${titles.join("; ")}` : ""}`;
        const evidence = view.fixVerdict ? [view.fixVerdict.reason, evidenceText(view.fixVerdict)] : [];
        outcome = `<failure message="${xml(message)}" type="verdict">${xml([...evidence, ...titles].join("\n"))}</failure>`;
      }
      const xmlCase = `    <testcase classname="${xml(g.id)}" name="${xml(c.variant)}" time="${cellSeconds(c).toFixed(1)}">
      <properties><property name="verdict" value="${xml(view.verdict)}"/>${view.fixVerdict ? `<property name="evidence" value="${xml(evidenceText(view.fixVerdict))}"/>` : ""}${props.join("")}</properties>${outcome ? `\n      ${outcome}` : ""}
    </testcase>`;
      return { kind, xmlCase };
    });
    const count = (k: Outcome) => cases.filter((x) => x.kind === k).length;
    const xmlSuite = `  <testsuite name="${xml(g.id)}" tests="${cases.length}" failures="${count("failure")}" errors="${count("error")}">\n${cases.map((x) => x.xmlCase).join("\n")}\n  </testsuite>`;
    return { xmlSuite, tests: cases.length, failures: count("failure"), errors: count("error") };
  });
  const sum = (k: "tests" | "failures" | "errors") => suites.reduce((n, x) => n + x[k], 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kharness ${xml(run.input.name)}" tests="${sum("tests")}" failures="${sum("failures")}" errors="${sum("errors")}">\n${suites.map((x) => x.xmlSuite).join("\n")}\n</testsuites>\n`;
}
