import { z } from "zod";
import { AccelChoiceSchema, OutcomeStatusSchema, RunStatusSchema } from "./common.js";
import { SignatureRecordSchema } from "./run.js";

/** results/<id>/bisect.json: the inputs, the state of the bisection, its cost and timings. */
export const BISECT_SCHEMA = "kharness.bisect/2";

export const BisectDirectionSchema = z.enum(["cause", "fix"]);
export type BisectDirection = z.infer<typeof BisectDirectionSchema>;

export const CommitInfoSchema = z.object({
  hash: z.string(),
  subject: z.string(),
  author: z.string(),
  /** The commit's tree object: equal trees build equal kernels. */
  tree: z.string(),
});
export type CommitInfo = z.infer<typeof CommitInfoSchema>;

export const BisectOptionsSchema = z.object({
  scenario: z.string(),
  tree: z.string(),
  good: z.string(),
  bad: z.string(),
  direction: BisectDirectionSchema,
  signature: z.string().optional(),
  confidence: z.number().gt(0).lt(1),
  maxRuns: z.number().int().min(1),
  accel: AccelChoiceSchema.shape.accel.optional(),
  /** The arch to build for and boot (x86_64 when absent). */
  arch: z.string().optional(),
});
export type BisectOptions = z.infer<typeof BisectOptionsSchema>;

export const BisectSettingsSchema = z.object({
  direction: BisectDirectionSchema,
  /** Has the splat. */
  bad: z.string(),
  /** Does not have it. */
  good: z.string(),
  /** Narrow the target to this signature (hash, title, or "title (via ...)"). */
  signature: z.string().optional(),
  confidence: z.number(),
  /** Runs of the bad revision to check it reproduces and measure the rate. */
  checkRuns: z.number().int(),
  /** At most this many runs per commit. */
  maxRuns: z.number().int(),
});
export type BisectSettings = z.infer<typeof BisectSettingsSchema>;

export const StepStateSchema = z.discriminatedUnion("state", [
  /** The target splat appeared: decided at once. */
  z.object({ state: z.literal("splat"), hits: z.number().int(), runs: z.number().int() }),
  /** Enough clean runs for the asked confidence. */
  z.object({ state: z.literal("clean"), runs: z.number().int(), confidence: z.number() }),
  /** Clean so far, more runs needed. */
  z.object({ state: z.literal("more"), runs: z.number().int(), needed: z.number().int() }),
  /** Nothing booted (or the build failed): git bisect skip. */
  z.object({ state: z.literal("skip"), reason: z.string() }),
]);
export type StepState = z.infer<typeof StepStateSchema>;

export const StepRecordSchema = z.object({
  /** 0 is the check of the bad revision; bisection steps count from 1. */
  index: z.number().int(),
  commit: CommitInfoSchema,
  build: z.object({
    ok: z.boolean(),
    reason: z.string().optional(),
    imageHash: z.string().optional(),
    cached: z.boolean().optional(),
    buildMs: z.number(),
  }),
  runs: z.array(
    z.object({ status: RunStatusSchema, bootMs: z.number(), workloadMs: z.number(), signatures: z.array(z.string()) }),
  ),
  state: StepStateSchema.optional(),
  /** The step whose identical kernel image already decided this one (no VM runs). */
  sameImageAs: z.number().int().optional(),
  /** What was told to git bisect. */
  mark: z.string().optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

export const BisectResultSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("culprit"), commit: CommitInfoSchema, confidence: z.number() }),
  z.object({ kind: z.literal("ambiguous"), candidates: z.array(CommitInfoSchema) }),
]);
export type BisectResult = z.infer<typeof BisectResultSchema>;

/** Everything a bisection knows; saved after each run so an interrupted one continues. */
export const BisectStateSchema = z.object({
  settings: BisectSettingsSchema,
  terms: z.object({ old: z.string(), new: z.string(), splat: z.string(), clean: z.string() }),
  target: z.array(z.string()),
  /** Target hits and runs on commits known to have the bug: the reproduction rate's evidence. */
  rateEvidence: z.object({ hits: z.number().int(), runs: z.number().int() }),
  signatures: z.record(z.string(), SignatureRecordSchema),
  steps: z.array(StepRecordSchema),
  bisectLog: z.string().optional(),
  result: BisectResultSchema.optional(),
});
export type BisectState = z.infer<typeof BisectStateSchema>;

export const BisectFileSchema = z.object({
  schema: z.literal(BISECT_SCHEMA),
  id: z.string(),
  status: OutcomeStatusSchema,
  error: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  options: BisectOptionsSchema,
  /** Commits in the bisected range (old..new), for the log2 bound. */
  rangeCommits: z.number().int(),
  state: BisectStateSchema,
  timings: z.object({ buildMs: z.number(), bootMs: z.number(), workloadMs: z.number(), totalMs: z.number() }),
});
export type BisectFile = z.infer<typeof BisectFileSchema>;
