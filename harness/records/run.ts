import { z } from "zod";
import { ArchNameSchema } from "../core/arch.js";
import {
  AccelChoiceSchema,
  BootStartSchema,
  HostRecordSchema,
  OutcomeStatusSchema,
  RunStatusSchema,
} from "./common.js";

/**
 * results/<id>/run.json (kharness run) and matrix.json (kharness matrix): one shape. A run
 * is a matrix of one group; every report reads this record alone. Paths are relative to
 * the results directory.
 */
export const RUN_SCHEMA = "kharness.run/3";

/** What one deduplicated report stands for, for humans and reports. */
export const SignatureRecordSchema = z.object({
  signature: z.string(),
  /**
   * The bug this report belongs to: its family (kind) and kharness's culprit frame, not the
   * exact call path, so one bug reached by two paths is one bug ("atomic-sleep:mem_cgroup_wb_stats").
   */
  bug: z.string(),
  kind: z.string(),
  /** syzkaller's title (what bug trackers and syzbot searches know it by). */
  title: z.string(),
  /** kharness's culprit: the frame past locking, hotplug and reporting helpers. */
  culprit: z.string().optional(),
  callPath: z.array(z.string()),
  frames: z.array(z.string()),
  corrupted: z.boolean(),
  /** The first report's lines, as an excerpt. */
  excerpt: z.array(z.string()),
});
export type SignatureRecord = z.infer<typeof SignatureRecordSchema>;

/** One fresh boot of a cell's kernel: how it ended and what it showed. */
export const IterationRecordSchema = z.object({
  iteration: z.number().int().min(1),
  status: RunStatusSchema,
  reason: z.string().optional(),
  bootMs: z.number(),
  /** Absent in records from before booted snapshots (every boot was cold). */
  boot: BootStartSchema.optional(),
  workloadMs: z.number(),
  collectMs: z.number(),
  /** The serial console, relative to the results directory ("" when nothing was captured). */
  console: z.string(),
  dmesg: z.string().optional(),
  /** The VM's command line, to reproduce the boot by hand. */
  vmCommand: z.string(),
  /** Unique signatures in this run, with how many reports each had. */
  splats: z.array(z.object({ signature: z.string(), count: z.number().int() })),
  /**
   * The signature of the run's first report: syzkaller's "first oops wins". The kernel is
   * tainted after it, so the run's other reports are its cascade.
   */
  primary: z.string().optional(),
  /** Why the run ended before its workload did (a deciding report and its cascade were in). */
  stoppedEarly: z.string().optional(),
  /** ms from the workload's start to the first report the watch saw (within its poll interval). */
  firstReportMs: z.number().optional(),
  /** The trial window this run was given (a fix run clean for that long stops); absent: the whole workload. */
  windowMs: z.number().optional(),
});
export type IterationRecord = z.infer<typeof IterationRecordSchema>;

/**
 * What a developer calls the source a kernel was built from: a commit of a git tree (a
 * reply's base-commit), or a Debian source package at its version.
 */
export const SourceOriginSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("git"), tree: z.string(), ref: z.string(), commit: z.string() }),
  z.object({ kind: z.literal("debian"), package: z.string(), version: z.string() }),
]);
export type SourceOrigin = z.infer<typeof SourceOriginSchema>;

/** A built kernel: its inputs with hashes, its cost, and how to rebuild it. */
export const KernelRecordSchema = z.object({
  variant: z.string(),
  sourceId: z.string(),
  /** The source tarball's sha256, or the commit's hash. */
  sourceHash: z.string(),
  /** A human description of the source: a tarball path, a tree and ref, a directory. */
  source: z.string(),
  /** The series in order; `path` is relative to the project root, or absolute outside it. */
  patches: z.array(z.object({ name: z.string(), sha256: z.string(), path: z.string() })),
  patchWarnings: z.array(z.string()),
  origin: SourceOriginSchema.optional(),
  /** The config's base (a make target, or the user's .config) and the fragments merged on top, by name. */
  config: z.object({ base: z.string(), fragments: z.array(z.string()) }).optional(),
  configSha256: z.string(),
  imageKey: z.string(),
  /** The compiler and linker that built it (the arch's cross gcc on another arch's host). */
  toolchain: z.string(),
  cached: z.boolean(),
  buildMs: z.number(),
  compiledObjects: z.number(),
  buildLog: z.string(),
  command: z.string(),
});
export type KernelRecord = z.infer<typeof KernelRecordSchema>;

/** A build of a cell: the kernel, or why there is none (its cells are then failed). */
export const BuildRecordSchema = z.discriminatedUnion("status", [
  KernelRecordSchema.extend({
    status: z.literal("built"),
    scenario: z.string(),
    kernel: z.string(),
    arch: ArchNameSchema,
  }),
  z.object({
    status: z.literal("failed"),
    scenario: z.string(),
    kernel: z.string(),
    arch: ArchNameSchema,
    variant: z.string(),
    reason: z.string(),
    buildLog: z.string(),
  }),
]);
export type BuildRecord = z.infer<typeof BuildRecordSchema>;

export const CellKeySchema = z.object({
  scenario: z.string(),
  kernel: z.string(),
  arch: ArchNameSchema,
  variant: z.string(),
  cpus: z.number().int(),
  hotplug: z.boolean(),
});

/** A fix given on the command line: the mail it came in (subject and Message-ID, as sent), or the commit. */
export const FixOriginSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("mail"),
    file: z.string(),
    subject: z.string(),
    messageId: z.string().optional(),
    author: z.string().optional(),
  }),
  z.object({ kind: z.literal("commit"), tree: z.string(), commit: z.string(), subject: z.string() }),
]);
export type FixOrigin = z.infer<typeof FixOriginSchema>;

export const CellRecordSchema = CellKeySchema.extend({
  id: z.string(),
  group: z.string(),
  /** The scenario's baseline variant, which this cell's group is judged against. */
  baseline: z.string(),
  /** What the variant is (a fix from the command line: its mail's subject, or its commit's). */
  description: z.string().optional(),
  /** Where a fix from the command line came from. */
  fix: FixOriginSchema.optional(),
  /** The cell's workload in one line, as --workload writes it ("memcg-writer:files=1 + hotplug:rounds=40"). */
  workload: z.string().optional(),
  /** The most runs this cell may get. */
  maxRuns: z.number().int().min(1),
  status: z.enum(["pending", "done", "failed"]),
  /** Why the cell got no more runs (its verdict was decided, or its budget was spent). */
  stopped: z.string().optional(),
  /** A fix decided by the rules: the baseline records (a count) it was judged against, which its verdict keeps. */
  judgedAgainst: z.number().int().min(0).optional(),
  reason: z.string().optional(),
  /** Key into `builds`. */
  build: z.string(),
  runs: z.array(IterationRecordSchema),
});
export type CellRecord = z.infer<typeof CellRecordSchema>;

/**
 * One shard of a sharded matrix run. `cells` lists every shard's cell ids (shard 1 first),
 * so a merge knows the shard count and names the cells of a shard that never reported.
 */
export const ShardSchema = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(1), cells: z.array(z.array(z.string())) })
  .refine((s) => s.index <= s.count && s.cells.length === s.count, {
    message: "needs index <= count and the cell ids of each of the count shards",
  });
export type ShardRecord = z.infer<typeof ShardSchema>;

/**
 * What a merge found of each shard. merged: its record is in and it finished; stopped: it
 * ended on an input or host error, or was interrupted, before its cells were done; missing:
 * no record of it was given (it failed before writing one, or its artifact was lost).
 */
export const ShardOutcomeSchema = z.object({
  index: z.number().int().min(1),
  status: z.enum(["merged", "stopped", "missing"]),
  /** The shard's run id, when its record was there. */
  run: z.string().optional(),
  /** Why a stopped shard stopped, as its record says. */
  error: z.string().optional(),
  /** Its cells without a result: every cell of a missing shard, the unfinished ones of a stopped shard. */
  unfinished: z.array(z.string()),
});
export type ShardOutcome = z.infer<typeof ShardOutcomeSchema>;

export const RunFileSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  /** run: one scenario's variants (one group); matrix: the cells of a matrix file. */
  kind: z.enum(["run", "matrix"]),
  id: z.string(),
  status: OutcomeStatusSchema,
  error: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** The scenario or matrix file the run came from. */
  input: z.object({ name: z.string(), file: z.string(), sha256: z.string() }),
  shard: ShardSchema.optional(),
  /** A merged run: what became of each shard of the matrix. */
  merge: z.object({ shards: z.array(ShardOutcomeSchema) }).optional(),
  host: HostRecordSchema,
  /**
   * The accelerator each arch's guests ran under (a matrix of two arches may have KVM for one and TCG for the
   * other).
   */
  accels: z.partialRecord(ArchNameSchema, AccelChoiceSchema).optional(),
  jobs: z.object({ count: z.number().int(), reason: z.string() }).optional(),
  /** What the command line forced for the session (--accel, --jobs): a resume that forces nothing replays it. */
  forced: z
    .object({ accel: AccelChoiceSchema.shape.accel.optional(), jobs: z.number().int().min(1).optional() })
    .optional(),
  /**
   * Expected verdicts per target (`targetKey`: "scenario/kernel/arch") and variant: a fix's verdict, or
   * REPRODUCES / CLEAN for the baseline.
   */
  expect: z.record(z.string(), z.record(z.string(), z.string())),
  builds: z.record(z.string(), BuildRecordSchema),
  cells: z.array(CellRecordSchema),
  signatures: z.record(z.string(), SignatureRecordSchema),
  /** Wall time per stage, summed over builds and runs. */
  timings: z.record(z.string(), z.number()),
  /** What `kharness run` was asked for, so `run --resume` rebuilds the same scenario (absent for a matrix). */
  request: z
    .object({
      scenario: z.string(),
      kernel: z.string().optional(),
      arch: z.string().optional(),
      tree: z.string().optional(),
      ref: z.string().optional(),
      fix: z.array(z.string()).optional(),
      fixCommit: z.array(z.string()).optional(),
    })
    .optional(),
  /** How sure a verdict must be, and the most runs a variant gets (runs stop once its verdict is decided). */
  settings: z.object({
    confidence: z.number().gt(0).lt(1),
    maxRuns: z.number().int().min(1),
    /** FIXED also rules out a fix that leaves this share of the bug's rate (1: no change at all). */
    residual: z.number().gt(0).max(1).default(1),
    /** The trial window's rule the run was judged by (verdict/window.ts has the default). */
    window: z.object({ factor: z.number().min(1), floorMs: z.number().min(0) }).optional(),
  }),
});
export type RunFile = z.infer<typeof RunFileSchema>;

/**
 * One scenario on one kernel for one arch: the key of its expectations in a record, and of the scenario as
 * loaded for it.
 */
export function targetKey(t: { scenario: string; kernel: string; arch: string }): string {
  return `${t.scenario}/${t.kernel}/${t.arch}`;
}

/** The file a run of each kind is recorded in. */
export const RUN_FILE_NAME: Record<RunFile["kind"], string> = { run: "run.json", matrix: "matrix.json" };
