import { promises as fs } from "node:fs";
import path from "node:path";
import { UserError } from "../core/errors.js";
import { writeJsonAtomic } from "../core/files.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, type RunFile, type ShardOutcome } from "../records/run.js";
import { shardProblems } from "../report/shards.js";

/**
 * `kharness merge`'s exit codes beyond the verdicts' (0 as expected, 1 a verdict differs,
 * 2 merge's own input or host error): a shard that stopped before its cells were done, and
 * a shard with no record at all. Each says why the nightly run is incomplete.
 */
export const MERGE_EXIT = { shardStopped: 3, shardMissing: 4 } as const;

/** Every shard of the matrix, from the count and cell lists the shards' records carry. */
export function shardOutcomes(runs: RunFile[]): ShardOutcome[] {
  const sharded = runs.filter((r) => r.shard);
  const plan = sharded[0]?.shard;
  if (!plan) return [];
  for (const r of runs) {
    if (r.shard?.count !== plan.count) {
      const what = r.shard ? `shard ${r.shard.index}/${r.shard.count}` : "not a shard";
      throw new UserError(
        `run ${r.id} is ${what}, but ${sharded[0]!.id} is one of ${plan.count} shards`,
        "merge the shards of one sharded matrix run only",
      );
    }
  }
  return plan.cells.map((cells, i): ShardOutcome => {
    const index = i + 1;
    const mine = runs.filter((r) => r.shard!.index === index);
    // A shard retried in CI may be given twice: one finished record is enough.
    const record = mine.find((r) => r.status === "completed") ?? mine[0];
    if (!record) return { index, status: "missing", unfinished: cells };
    const done = new Set(record.cells.filter((c) => c.status !== "pending").map((c) => c.id));
    const unfinished = cells.filter((id) => !done.has(id));
    if (record.status === "completed" && unfinished.length === 0)
      return { index, status: "merged", run: record.id, unfinished };
    return {
      index,
      status: "stopped",
      run: record.id,
      error: record.error ?? `its record says ${record.status}`,
      unfinished,
    };
  });
}

/**
 * A missing shard outranks a stopped one, and either outranks the verdicts: the cells judged are not all the
 * matrix's.
 */
export function mergeExitCode(shards: ShardOutcome[], verdictExit: number): number {
  if (shards.some((s) => s.status === "missing")) return MERGE_EXIT.shardMissing;
  if (shards.some((s) => s.status === "stopped")) return MERGE_EXIT.shardStopped;
  return verdictExit;
}

/**
 * Shard results into one run: cells by id (a cell in two shards keeps the finished one),
 * builds, signatures and timings united. Pure; every input must come from one matrix file.
 */
export function mergeRuns(runs: RunFile[], id: string): RunFile {
  const [first] = runs;
  if (!first) throw new UserError("nothing to merge", "give the result directories of the shards");
  for (const r of runs) {
    if (r.input.sha256 !== first.input.sha256) {
      throw new UserError(
        `run ${r.id} comes from a different matrix file (${r.input.file}, ${r.input.sha256.slice(0, 12)}) ` +
          `than ${first.id} (${first.input.sha256.slice(0, 12)})`,
        "merge the shards of one matrix run only",
      );
    }
  }
  const cells = new Map<string, RunFile["cells"][number]>();
  for (const r of runs) {
    for (const c of r.cells) {
      const prev = cells.get(c.id);
      if (!prev || (prev.status === "pending" && c.status !== "pending")) cells.set(c.id, c);
    }
  }
  const timings: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.timings)) timings[k] = (timings[k] ?? 0) + v;
  const { shard: _shard, error: _error, ...unsharded } = first;
  const shards = shardOutcomes(runs);
  const problems = shardProblems(shards);
  // A missing shard is a run that failed, even when every shard given completed.
  const status = problems.length > 0 ? "failed" : (runs.find((r) => r.status !== "completed")?.status ?? "completed");
  return {
    ...unsharded,
    ...(shards.length > 0 && { merge: { shards } }),
    ...((problems.length > 0 || first.error) && { error: problems.join("; ") || first.error }),
    id,
    status,
    startedAt: runs.map((r) => r.startedAt).sort()[0]!,
    ...(runs.every((r) => r.finishedAt) && {
      finishedAt: runs
        .map((r) => r.finishedAt!)
        .sort()
        .at(-1)!,
    }),
    builds: Object.assign({}, ...runs.map((r) => r.builds)),
    cells: [...cells.values()].sort((a, b) => a.id.localeCompare(b.id)),
    signatures: Object.assign({}, ...runs.map((r) => r.signatures)),
    timings,
  };
}

/**
 * `kharness merge DIR...`: read each shard's matrix.json, merge, and write the merged run
 * into `out`. Each shard's files (consoles, build logs) are linked under shards/<n>/ so
 * the merged reports' links keep working.
 */
export async function mergeDirs(dirs: string[], out: string): Promise<RunFile> {
  const runs: RunFile[] = [];
  for (const d of dirs) {
    runs.push(await readRecord(RunFileSchema, path.join(d, RUN_FILE_NAME.matrix), "matrix run record"));
  }
  await fs.mkdir(path.join(out, "shards"), { recursive: true });
  const relinked = await Promise.all(
    runs.map(async (r, i) => {
      const link = path.join(out, "shards", String(i + 1));
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(path.resolve(dirs[i]!), link);
      const prefix = (p: string) => (p ? path.join("shards", String(i + 1), p) : p);
      return {
        ...r,
        cells: r.cells.map((c) => ({
          ...c,
          runs: c.runs.map((x) => ({ ...x, console: prefix(x.console), ...(x.dmesg && { dmesg: prefix(x.dmesg) }) })),
        })),
        builds: Object.fromEntries(
          Object.entries(r.builds).map(([k, b]) => [k, { ...b, buildLog: prefix(b.buildLog) }]),
        ),
      };
    }),
  );
  const merged = mergeRuns(relinked, path.basename(out));
  await writeJsonAtomic(path.join(out, "matrix.json"), merged);
  return merged;
}
