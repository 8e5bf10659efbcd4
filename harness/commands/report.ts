import path from "node:path";
import { resultsRoot } from "../core/paths.js";
import { mergeDirs, mergeExitCode } from "../matrix/merge.js";
import { shardProblems } from "../report/shards.js";
import { readRunDir, reportModel } from "../report/model.js";
import { renderReport, REPORT_FORMATS, writeReports, type ReportFormat } from "../report/write.js";
import { exitCodeOf } from "../verdict/groups.js";

/** `kharness report`: render a recorded run again, to files or to stdout. */
export async function reportCommand(dir: string, o: { format?: ReportFormat; stdout?: boolean }): Promise<void> {
  const run = await readRunDir(dir);
  if (o.stdout) {
    process.stdout.write(renderReport(reportModel(run), o.format ?? "md"));
    return;
  }
  for (const f of await writeReports(dir, run, o.format ? [o.format] : REPORT_FORMATS)) console.log(f);
}

/**
 * `kharness merge`: shards into one run with its reports. The exit code judges the merged
 * run, unless a shard is missing or stopped early (MERGE_EXIT): then its cells are named.
 */
export async function mergeCommand(dirs: string[], o: { out?: string }): Promise<number> {
  const out = path.resolve(
    o.out ?? path.join(resultsRoot(), `${path.basename(dirs[0]!).replace(/-shard\d+of\d+$/, "")}-merged`),
  );
  const merged = await mergeDirs(dirs, out);
  const files = await writeReports(out, merged);
  console.log(`merged ${dirs.length} shard record(s), ${merged.cells.length} cell(s) into ${out}\n${files.join("\n")}`);
  const shards = merged.merge?.shards ?? [];
  for (const line of shardProblems(shards)) console.error(`kharness merge: ${line}`);
  return mergeExitCode(shards, exitCodeOf(merged));
}
