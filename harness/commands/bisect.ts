import type { Progress } from "../core/progress.js";
import { bisectSummary } from "../bisect/report.js";
import { bisection } from "../pipeline/bisection.js";
import type { BisectFile, BisectOptions } from "../records/bisect.js";

export type { BisectOptions };

/**
 * `kharness bisect`: a new bisection from options, or (with `resumeId`) an interrupted one continued; exit 0
 * when it names a culprit.
 */
export async function bisectCommand(
  input: { options?: BisectOptions; resumeId?: string },
  progress: Progress,
): Promise<{ record: BisectFile; dir: string; exitCode: number }> {
  const { record, dir } = await bisection(input, progress);
  progress.info(`\n${bisectSummary(record)}\n\nresults: ${dir}`);
  return { record, dir, exitCode: record.state.result?.kind === "culprit" ? 0 : 1 };
}
