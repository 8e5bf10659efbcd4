import { renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { killAllChildren } from "./children.js";
import type { Progress } from "./progress.js";

/** What every results record (run.json, matrix.json, bisect.json) says of how it ended. */
export interface RecordedOutcome {
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  finishedAt?: string;
}

/** The signals that interrupt a run: Ctrl-C, a kill or a service stop, and a closed terminal or dropped ssh session. */
export const INTERRUPTS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * The shell's convention for a process ended by a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM,
 * 129 for SIGHUP).
 */
export const signalExitCode = (sig: NodeJS.Signals) => 128 + os.constants.signals[sig];

/** Thrown once an interrupted run has written its record and reports; the CLI exits 128 + the signal. */
export class Interrupted extends Error {
  constructor(
    message: string,
    readonly signal: NodeJS.Signals | undefined = interruptedBy,
  ) {
    super(message);
    this.name = "Interrupted";
  }
}

let interruptedBy: NodeJS.Signals | undefined;

/** The signal that interrupted this run, if one did: loops check it before starting more work. */
export function interruption(): NodeJS.Signals | undefined {
  return interruptedBy;
}

/**
 * After a child that an interrupt may have killed: stop here, as interrupted, rather than read its failure as
 * a result.
 */
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
 * While `body` runs, an interrupt stops the children (make gently, by its group; QEMU and
 * the rest at once), is remembered for the loops that check it, and calls `then` (to write
 * a record at once); a second signal exits at once.
 */
async function onInterrupts<T>(
  then: (sig: NodeJS.Signals, killed: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  const onSignal = (sig: NodeJS.Signals) => {
    if (interruptedBy) process.exit(signalExitCode(sig));
    interruptedBy = sig;
    then(sig, killAllChildren());
  };
  for (const sig of INTERRUPTS) process.on(sig, onSignal);
  try {
    return await body();
  } finally {
    for (const sig of INTERRUPTS) process.removeListener(sig, onSignal);
  }
}

/**
 * Work before anything is recorded (validating the input, a lone `kharness build`): an
 * interrupt stops it and its children, and Interrupted is thrown, with nothing to keep.
 */
export async function runInterruptible<T>(what: string, progress: Progress, body: () => Promise<T>): Promise<T> {
  const said = (sig: NodeJS.Signals, killed: number) =>
    progress.info(`\ninterrupted by ${sig} during ${what}: ${killed} child process(es) stopped`);
  const out = await onInterrupts(said, body).catch((err: unknown) => {
    throw interruptedBy ? new Interrupted(`${interruptedBy} during ${what}`) : err;
  });
  throwIfInterrupted(what);
  return out;
}

/**
 * Run `body` with its record kept honest: completed when it returns, failed (with the
 * error) when it throws. On Ctrl-C, SIGTERM or SIGHUP, make and QEMU are stopped (make with
 * its group, gently), the record says interrupted (with `howToContinue`) and is written at
 * once; the body then winds down without starting new work, `finish` writes the reports
 * for what finished, and Interrupted is thrown. A second signal exits at once.
 */
export async function runRecorded(
  recordFile: string,
  record: RecordedOutcome,
  progress: Progress,
  howToContinue: (sig: NodeJS.Signals, killed: number) => string,
  body: () => Promise<void>,
  finish: () => Promise<void>,
): Promise<void> {
  const onSignal = (sig: NodeJS.Signals, killed: number) => {
    Object.assign(record, {
      status: "interrupted",
      error: howToContinue(sig, killed),
      finishedAt: new Date().toISOString(),
    });
    writeNow(recordFile, record, progress);
    progress.info(`\ninterrupted by ${sig}: ${killed} child process(es) stopped; writing the record and the reports`);
  };
  await onInterrupts(onSignal, async () => {
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
    }
  });
  if (interruptedBy) {
    progress.info(`interrupted: kept ${recordFile} and the reports beside it; ${record.error}`);
    throw new Interrupted(record.error ?? "interrupted");
  }
}
