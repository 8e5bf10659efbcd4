import path from "node:path";
import { writeFileAtomic } from "../core/files.js";
import type { RunFile } from "../records/run.js";
import { htmlReport } from "./formats/html.js";
import { junitReport } from "./formats/junit.js";
import { kcidbReport } from "./formats/kcidb.js";
import { markdownReport } from "./formats/markdown.js";
import { reportModel, type ReportModel } from "./model.js";
import type { GroupResult } from "../verdict/groups.js";

export const REPORT_FORMATS = ["md", "html", "junit", "json", "kcidb"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The file each format is written to, in the run directory. */
export const REPORT_FILES: Record<ReportFormat, string> = {
  md: "report.md",
  html: "report.html",
  junit: "junit.xml",
  json: "report.json",
  kcidb: "kcidb.json",
};

/** A judged group for report.json: each cell's result by its id (the cells are in the record already). */
function jsonGroup({ cells: _cells, results, ...g }: GroupResult) {
  const byId = results.map(({ cell, got, expected, ok }) => ({
    cell: cell.id,
    variant: cell.variant,
    got,
    expected,
    ok,
  }));
  return { ...g, results: byId };
}

export function renderReport(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case "md":
      return markdownReport(model);
    case "html":
      return htmlReport(model);
    case "junit":
      return junitReport(model);
    case "kcidb":
      return `${JSON.stringify(kcidbReport(model), null, 2)}\n`;
    case "json":
      // The run as recorded, plus its judged groups: stable, documented in the README.
      return `${JSON.stringify({ ...model.run, groups: model.groups.map(jsonGroup) }, null, 2)}\n`;
  }
}

/** Write the reports into the run directory; every format by default. */
export async function writeReports(
  dir: string,
  run: RunFile,
  formats: readonly ReportFormat[] = REPORT_FORMATS,
): Promise<string[]> {
  const model = reportModel(run);
  const files: string[] = [];
  for (const f of formats) {
    const file = path.join(dir, REPORT_FILES[f]);
    await writeFileAtomic(file, renderReport(model, f));
    files.push(file);
  }
  return files;
}
