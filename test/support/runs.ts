import type { RunStatus } from "../../harness/records/common.js";
import { newCell } from "../../harness/matrix/expand.js";
import { newRunFile } from "../../harness/pipeline/runRecord.js";
import type { RunFile, SignatureRecord } from "../../harness/records/run.js";
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

/**
 * A run record of one group: the baseline "before" and one fix, their cells in `variants`
 * order (both pending), under `settings`, with no runs yet.
 */
export function baselineAndFixRun(
  variants: string[],
  settings: { maxRuns: number; confidence: number; residual: number },
  id = "r",
): RunFile {
  const key = (variant: string) => ({
    scenario: "s",
    kernel: "k",
    arch: "x86_64" as const,
    variant,
    cpus: 2,
    hotplug: true,
  });
  const cells = variants.map((v) => newCell(key(v), "before", settings.maxRuns, `s/k/${v}`));
  const host = { hostname: "h", cpus: 2, memoryMiB: 1024, node: "v20" };
  const input = { name: "s", file: "s", sha256: "0" };
  return newRunFile({ kind: "run", id, input, host, cells, expect: {}, settings });
}
