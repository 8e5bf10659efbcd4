import { renameSync, writeFileSync } from "node:fs";
import { killAllChildren } from "./children.js";
import type { Progress } from "./progress.js";

/** What every results record (run.json, matrix.json, bisect.json) says of how it ended. */
export interface RecordedOutcome {
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  finishedAt?: string;
}

/** Thrown once an interrupted run has written its record and reports; the CLI exits 130. */
export class Interrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Interrupted";
  }
}

let interruptedBy: NodeJS.Signals | undefined;

/** The signal that interrupted this run, if one did: loops check it before starting more work. */
export function interruption(): NodeJS.Signals | undefined {
  return interruptedBy;
}

/** After a child that an interrupt may have killed: stop here, as interrupted, rather than read its failure as a result. */
export function throwIfInterrupted(during: string): void {
  if (interruptedBy) throw new Interrupted(`${interruptedBy} during ${during}`);
}

/** The record, at once (in a signal handler); if the disk refuses, the old record stays whole and the error is said. */
function writeNow(file: string, record: unknown, progress: Progress): void {
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    progress.info(`cannot write ${file}: ${(err as Error).message}`);
  }
}

/**
 * Run `body` with its record kept honest: completed when it returns, failed (with the
 * error) when it throws. On Ctrl-C or SIGTERM, make and QEMU are killed (by process group),
 * the record says interrupted (with `howToContinue`) and is written at once; the body then
 * winds down without starting new work, `finish` writes the reports for what finished, and
 * Interrupted is thrown. A second signal exits at once.
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
    if (interruptedBy) process.exit(130);
    interruptedBy = sig;
    const killed = killAllChildren();
    Object.assign(record, { status: "interrupted", error: howToContinue(sig, killed), finishedAt: new Date().toISOString() });
    writeNow(recordFile, record, progress);
    progress.info(`\ninterrupted by ${sig}: ${killed} child process(es) killed; writing the record and the reports of what finished`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    await body();
    if (!interruptedBy) record.status = "completed";
  } catch (err) {
    if (!interruptedBy) {
      record.status = "failed";
      record.error = err instanceof Error ? err.message : String(err);
      throw err;
    }
  } finally {
    record.finishedAt = new Date().toISOString();
    await finish();
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  if (interruptedBy) {
    progress.info(`interrupted: kept ${recordFile} and the reports beside it; ${record.error}`);
    throw new Interrupted(record.error ?? "interrupted");
  }
}
