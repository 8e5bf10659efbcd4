import path from "node:path";
import { UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, type RunFile } from "../records/run.js";
import { judgeGroups, type GroupResult } from "../verdict/groups.js";

/** What every report format renders: the run, judged per group. */
export interface ReportModel {
  run: RunFile;
  groups: GroupResult[];
}

export function reportModel(run: RunFile): ReportModel {
  return { run, groups: judgeGroups(run) };
}

/** The run recorded in a results directory (matrix.json or run.json), validated. */
export async function readRunDir(dir: string): Promise<RunFile> {
  for (const name of Object.values(RUN_FILE_NAME)) {
    const file = path.join(dir, name);
    if (await exists(file)) return readRecord(RunFileSchema, file, "run record");
  }
  throw new UserError(
    `${dir} holds no run (no ${Object.values(RUN_FILE_NAME).join(" or ")})`,
    "give a results/<run-id> directory written by kharness run or matrix",
  );
}
