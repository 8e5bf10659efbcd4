import { renameSync, writeFileSync } from "node:fs";
import { killAllChildren } from "./children.js";
import type { Progress } from "./progress.js";

/**
 * Ctrl-C or SIGTERM during `body`: kill make and QEMU, let `record` note what happened,
 * write the record synchronously (the process exits right after), and exit with 130.
 */
export async function whileInterruptible<T>(
  recordFile: string,
  record: (sig: NodeJS.Signals, killed: number) => unknown,
  progress: Progress,
  body: () => Promise<T>,
): Promise<T> {
  const onSignal = (sig: NodeJS.Signals) => {
    const killed = killAllChildren();
    const value = record(sig, killed);
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(value, null, 2));
    renameSync(`${recordFile}.tmp`, recordFile);
    progress.info(`\ninterrupted by ${sig}; ${killed} child process(es) killed; partial results in ${recordFile}`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body();
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}
