import path from "node:path";
import { writeJsonAtomic } from "../core/files.js";
import { failpoint } from "../core/failpoint.js";
import { runRecorded } from "../core/interrupt.js";
import type { Progress } from "../core/progress.js";
import { RUN_FILE_NAME } from "../records/run.js";
import { writeReports } from "../report/write.js";
import { runCells, type CellRun } from "./cells.js";

/**
 * A run or matrix from its record to its reports: the cells run with the record kept
 * honest (saved after every step, completed / failed / interrupted at the end), and the
 * reports written for whatever finished.
 */
export async function executeCells(
  ctx: Omit<CellRun, "save">,
  progress: Progress,
  howToContinue: (sig: NodeJS.Signals, killed: number) => string,
): Promise<void> {
  const file = path.join(ctx.dir, RUN_FILE_NAME[ctx.run.kind]);
  // One save at a time, in order: two VMs finishing together must not write the record out of order.
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => writeJsonAtomic(file, ctx.run)));
  const started = Date.now();
  await runRecorded(
    file,
    ctx.run,
    progress,
    howToContinue,
    async () => {
      await save();
      await runCells({ ...ctx, save }, progress);
    },
    async () => {
      ctx.run.timings.total = (ctx.run.timings.total ?? 0) + (Date.now() - started);
      await save();
      progress.stage("report");
      await failpoint("report");
      await writeReports(ctx.dir, ctx.run);
      progress.done("reports written");
    },
  );
}
