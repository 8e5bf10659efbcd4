import type { RunStatus } from "../../harness/records/common.js";
import type { SignatureRecord } from "../../harness/records/run.js";
import type { JudgedRun } from "../../harness/verdict/bugs.js";

/** A run that showed these signatures, the first one first (its primary). */
export function run(...signatures: string[]): JudgedRun {
  return ended("completed", ...signatures);
}

export function ended(status: RunStatus, ...signatures: string[]): JudgedRun {
  return {
    status,
    splats: signatures.map((signature) => ({ signature, count: 1 })),
    ...(signatures[0] !== undefined && { primary: signatures[0] }),
  };
}

/** Signature records: `bugs` maps a signature to its bug (by default a signature is its own bug). */
export function signatureMap(bugs: Record<string, string>): Record<string, SignatureRecord> {
  return Object.fromEntries(
    Object.entries(bugs).map(([signature, bug]) => [
      signature,
      {
        signature,
        bug,
        kind: bug.split(":")[0]!,
        title: `title of ${signature}`,
        callPath: [bug, `path-of-${signature}`],
        frames: [],
        corrupted: false,
        excerpt: [],
      },
    ]),
  );
}
