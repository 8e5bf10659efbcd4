import type { AccelChoice } from "../vm/accel.js";
import type { SplatKind } from "../parse/formats.js";
import type { SplatGroup } from "../parse/runSplats.js";
import { HANG_SIGNATURE, type RunStatus, type VariantStats, type Verdict, type VerdictName } from "../verdict/verdict.js";

/** The shape of results/<run-id>/run.json. Paths inside are relative to the run directory. */
export interface RunRecordFile {
  schema: "kharness.run/1";
  id: string;
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  startedAt: string;
  finishedAt?: string;
  scenario: {
    name: string;
    file: string;
    sha256: string;
    baseline: string;
    iterations: number;
    expect: Record<string, VerdictName>;
    /** The kernel recipe and guest shape the run used. */
    kernel: string;
    cpus: number;
    hotplug: boolean;
    baselineExpect?: "REPRODUCES" | "CLEAN";
  };
  host: HostRecord;
  accel?: AccelChoice;
  kernels: Record<string, KernelRecord>;
  iterations: IterationRecord[];
  signatures: Record<string, SignatureRecord>;
  stats: VariantStats[];
  verdicts: Verdict[];
  /** Wall time per stage, summed over variants and iterations. */
  timings: Record<string, number>;
}

export interface HostRecord {
  hostname: string;
  cpus: number;
  memoryMiB: number;
  node: string;
  qemu?: string | undefined;
  toolchain?: string;
}

export interface KernelRecord {
  variant: string;
  sourceId: string;
  /** The source tarball's sha256 (or the commit hash of a git source). */
  sourceHash: string;
  /** The series in order; `path` is relative to the project root (absent in older records). */
  patches: { name: string; sha256: string; path?: string }[];
  patchWarnings: string[];
  configSha256: string;
  imageKey: string;
  cached: boolean;
  buildMs: number;
  compiledObjects: number;
  buildLog: string;
  command: string;
}

export interface IterationRecord {
  variant: string;
  iteration: number;
  status: RunStatus;
  reason?: string;
  bootMs: number;
  workloadMs: number;
  collectMs: number;
  console: string;
  dmesg?: string;
  qemuCommand: string;
  /** Unique signatures in this run, with how many reports each had. */
  splats: { signature: string; count: number }[];
}

export interface SignatureRecord {
  signature: string;
  kind: SplatKind | "hang";
  title: string;
  callPath: string[];
  frames: string[];
  corrupted: boolean;
  /** The first report's lines, as an excerpt. */
  excerpt: string[];
}

export function signatureRecord(g: SplatGroup): SignatureRecord {
  return {
    signature: g.signature,
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
  kind: "hang",
  title: "workload hang (timed out, or the guest stopped answering)",
  callPath: [],
  frames: [],
  corrupted: false,
  excerpt: [],
};

/** Every signature one iteration showed, as records: its splats', and the hang's if it hung. */
export function iterationSignatures(status: RunStatus, groups: SplatGroup[]): SignatureRecord[] {
  return [...groups.map(signatureRecord), ...(status === "hang" ? [HANG_RECORD] : [])];
}
