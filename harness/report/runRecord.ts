import type { AccelChoice } from "../vm/accel.js";
import type { SplatKind } from "../parse/formats.js";
import type { RunStatus, VariantStats, Verdict, VerdictName } from "../verdict/verdict.js";

/** The shape of results/<run-id>/run.json. Paths inside are relative to the run directory. */
export interface RunRecordFile {
  schema: "kharness.run/1";
  id: string;
  status: "running" | "completed" | "interrupted" | "failed";
  error?: string;
  startedAt: string;
  finishedAt?: string;
  scenario: { name: string; file: string; sha256: string; baseline: string; iterations: number; expect: Record<string, VerdictName> };
  host: { hostname: string; cpus: number; memoryMiB: number; node: string; qemu?: string; toolchain?: string };
  accel?: AccelChoice;
  kernels: Record<string, KernelRecord>;
  iterations: IterationRecord[];
  signatures: Record<string, SignatureRecord>;
  stats: VariantStats[];
  verdicts: Verdict[];
  /** Wall time per stage, summed over variants and iterations. */
  timings: Record<string, number>;
}

export interface KernelRecord {
  variant: string;
  sourceId: string;
  tarballSha256: string;
  patches: { name: string; sha256: string }[];
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
