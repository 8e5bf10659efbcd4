/**
 * What the judge knows a report by: its signature's record, with the bug it stands for
 * (family + culprit frame), and what one run's ending and reports make of it.
 */
import type { Splat } from "../parse/parseConsole.js";
import type { SplatGroup } from "../parse/runSplats.js";
import type { SignatureRecord } from "../records/run.js";
import type { RunStatus } from "../records/common.js";
import type { IterationRecord } from "../records/run.js";
import { CRASH_SIGNATURE, endingSignatures, HANG_SIGNATURE } from "./bugs.js";

/** A bug's identity: the report's family and kharness's culprit frame (not the call path). */
export function bugIdOf(s: Pick<Splat, "kind" | "title" | "culprit" | "frame">): string {
  return `${s.kind}:${s.culprit ?? s.frame ?? s.title}`;
}

/** What a deduplicated report stands for in the record: its first report, as an excerpt. */
export function signatureRecord(g: SplatGroup): SignatureRecord {
  const { culprit } = g.first;
  return {
    signature: g.signature,
    bug: bugIdOf(g.first),
    ...(culprit !== undefined && { culprit }),
    kind: g.first.kind,
    title: g.first.title,
    callPath: g.first.callPath,
    frames: g.first.frames,
    corrupted: g.first.corrupted,
    excerpt: g.first.lines.slice(0, 60),
  };
}

/** A hang is a signature of its own: it has no report to name it. */
export const HANG_RECORD: SignatureRecord = {
  signature: HANG_SIGNATURE,
  bug: HANG_SIGNATURE,
  kind: "hang",
  title: "workload hang (timed out, or the guest stopped answering)",
  callPath: [],
  frames: [],
  corrupted: false,
  excerpt: [],
};

/** A guest that died with no report the parser could read: a bug of its own, not a clean run. */
export const CRASH_RECORD: SignatureRecord = {
  ...HANG_RECORD,
  signature: CRASH_SIGNATURE,
  bug: CRASH_SIGNATURE,
  kind: "crash",
  title: "the guest died with no report on its console",
};

/** Every signature record of one run: its reports', and the one its ending adds (a hang, a report-less crash). */
export function signatureRecordsOf(status: RunStatus, groups: SplatGroup[]): SignatureRecord[] {
  const ending = endingSignatures({ status, splats: groups });
  return [...groups.map(signatureRecord), ...[HANG_RECORD, CRASH_RECORD].filter((r) => ending.includes(r.signature))];
}

/**
 * One run's evidence as the verdicts read it: the rules in one place. The first report is
 * the run's primary (groups keep the console's order; the kernel is tainted after it), and
 * a workload that failed after the kernel reported (an oops killed dd) ended with evidence,
 * so it is judged as a crash, not as a failed command.
 */
export function runEvidence(
  status: RunStatus,
  groups: SplatGroup[],
): Pick<IterationRecord, "status" | "splats" | "primary"> {
  const splats = groups.map((g) => ({ signature: g.signature, count: g.count }));
  const ended = status === "error" && groups.length > 0 ? "crash" : status;
  return { status: ended, splats, ...(groups[0] && { primary: groups[0].signature }) };
}
