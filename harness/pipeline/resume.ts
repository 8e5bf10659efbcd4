import path from "node:path";
import { UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { resultsRoot } from "../core/paths.js";
import type { Shard } from "../matrix/expand.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, type RunFile } from "../records/run.js";

/**
 * One resume policy for `run` and `matrix`: the record must be of that kind and unfinished,
 * its input unchanged, and what it was asked for is replayed from the record, not from the
 * command line that resumes it.
 */

const RECORD_LABEL: Record<RunFile["kind"], string> = { run: "run record", matrix: "matrix run record" };

/** The record of an earlier run of this kind, to go on with. */
export async function resumableRecord(kind: RunFile["kind"], id: string): Promise<RunFile> {
  const dir = path.join(resultsRoot(), id);
  if (!(await exists(dir))) {
    throw new UserError(
      `--resume ${id}: there is no run ${id} in ${resultsRoot()}`,
      `give the id of an unfinished run (a folder of ${resultsRoot()})`,
    );
  }
  const prior = await readRecord(RunFileSchema, path.join(dir, RUN_FILE_NAME[kind]), RECORD_LABEL[kind]);
  if (prior.kind !== kind) {
    const how = `resume it with kharness ${prior.kind} --resume ${id}`;
    throw new UserError(`${id} is a ${prior.kind} run, not a ${kind} run`, how);
  }
  if (prior.status === "completed") {
    throw new UserError(`${kind} ${id} already completed`, `see ${path.join(dir, "report.md")}`);
  }
  return prior;
}

/** Evidence from a changed scenario or matrix file would be judged as if it were the same experiment. */
export function refuseChangedInput(prior: RunFile, input: RunFile["input"]): void {
  if (input.sha256 === prior.input.sha256) return;
  const why = `${input.file} changed since run ${prior.id} started: its runs and new ones would not be one experiment`;
  throw new UserError(why, `start a new run, or put ${input.file} back as it was`);
}

/** The shard a resumed matrix replays: its record's; another one on the command line is an error. */
export function resumedShard(prior: RunFile, asked: Shard | undefined): Shard | undefined {
  const recorded = prior.shard && { index: prior.shard.index, count: prior.shard.count };
  const name = (s: Shard | undefined) => (s ? `shard ${s.index}/${s.count}` : "the whole matrix");
  if (asked && (asked.index !== recorded?.index || asked.count !== recorded.count)) {
    const fix = "leave out --shard: --resume replays the run's own";
    throw new UserError(`--shard ${asked.index}/${asked.count}: run ${prior.id} is ${name(recorded)}`, fix);
  }
  return recorded;
}

/** What a resumed session runs with: what its command line forces, else what the run's first session forced. */
export function replayedForced(
  prior: RunFile | undefined,
  given: NonNullable<RunFile["forced"]>,
): NonNullable<RunFile["forced"]> {
  const accel = given.accel ?? prior?.forced?.accel;
  const jobs = given.jobs ?? prior?.forced?.jobs;
  return { ...(accel && { accel }), ...(jobs && { jobs }) };
}

/**
 * `run --resume` replays the request its record keeps; a flag that would change it (a fix,
 * a tree, a budget) cannot apply, and is refused rather than ignored. `given` are the flags as
 * commander names them (and "<scenario>" for the argument); `allowed` are the ones
 * a session may choose for itself (the accelerator; a dry run).
 */
export function refuseResumeChanges(id: string, given: string[], allowed: readonly string[]): void {
  const changes = given.filter((f) => !allowed.includes(f));
  if (changes.length === 0) return;
  const flags = changes.join(", ");
  throw new UserError(
    `${flags} with --resume ${id}: a resumed run replays the request it recorded`,
    `leave out ${flags}, or start a new run with them`,
  );
}

/**
 * A kernel as a resumed run compares it: its image key, and the parts that key is made of
 * (source content, patches, config, toolchain).
 */
export interface KernelIdentity {
  imageKey: string;
  sourceHash: string;
  patches: { name: string; sha256: string }[];
  configSha256: string;
  toolchain: string;
}

/**
 * A resumed run's kernels, as its checks prepared them again, must be the ones its earlier
 * runs booted (the same image key): a ref moved to other code, an edited fix file, a changed
 * config or a new compiler would judge a new kernel with old evidence. Only build keys whose
 * cells have runs are compared.
 */
export function refuseChangedKernels(prior: RunFile, now: Map<string, KernelIdentity>): void {
  for (const [key, k] of now) {
    const built = prior.builds[key];
    if (built?.status !== "built" || built.imageKey === k.imageKey) continue;
    if (!prior.cells.some((c) => c.build === key && c.runs.length > 0)) continue;
    const patches = (p: KernelIdentity["patches"]) => p.map((x) => `${x.name}:${x.sha256.slice(0, 12)}`).join(" ");
    const changed = [
      built.sourceHash !== k.sourceHash && `source ${built.sourceHash.slice(0, 12)} -> ${k.sourceHash.slice(0, 12)}`,
      patches(built.patches) !== patches(k.patches) && `patches ${patches(built.patches)} -> ${patches(k.patches)}`,
      built.configSha256 !== k.configSha256 && "its config",
      built.toolchain !== k.toolchain && `toolchain ${built.toolchain} -> ${k.toolchain}`,
    ].filter(Boolean);
    throw new UserError(
      `${key} is not the kernel run ${prior.id} booted before (${changed.join("; ") || "its image key"}): ` +
        "its runs and new ones would not be one experiment",
      "start a new run, or put the source, the fix files and the kernel recipe back as they were",
    );
  }
}
