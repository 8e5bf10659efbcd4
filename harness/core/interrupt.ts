import { renameSync, writeFileSync } from "node:fs";
import { killAllChildren } from "./children.js";
import type { Progress } from "./progress.js";

/** What every results record (run.json, matrix.json, bisect.json) says of how it ended. */
export interface RecordedOutcome {
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  finishedAt?: string;
}

/**
 * Run `body` with its record kept honest: completed when it returns, failed (with the
 * error) when it throws, and on Ctrl-C or SIGTERM make and QEMU are killed, the record says
 * interrupted (with `howToContinue`), is written synchronously, and the process exits 130.
 * `finish` runs at the end either way (save the record, write the reports).
 */
export async function runRecorded(
  recordFile: string,
  record: RecordedOutcome,
  progress: Progress,
  howToContinue: (sig: NodeJS.Signals, killed: number) => string,
  body: () => Promise<void>,
  finish: () => Promise<void>,
): Promise<void> {
  const onSignal = (sig: NodeJS.Signals) => {
    const killed = killAllChildren();
    record.status = "interrupted";
    record.error = howToContinue(sig, killed);
    record.finishedAt = new Date().toISOString();
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${recordFile}.tmp`, recordFile);
    progress.info(`\ninterrupted: ${record.error}; partial results in ${recordFile}`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await body();
    record.status = "completed";
  } catch (err) {
    record.status = "failed";
    record.error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    record.finishedAt = new Date().toISOString();
    await finish();
  }
}
