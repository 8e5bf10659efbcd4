import { promises as fs } from "node:fs";
import path from "node:path";
import { UserError } from "../core/errors.js";
import { writeJsonAtomic } from "../core/files.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, type RunFile } from "../records/run.js";

/**
 * Shard results into one run: cells by id (a cell in two shards keeps the finished one),
 * builds, signatures and timings united. Pure; every input must come from one matrix file.
 */
export function mergeRuns(runs: RunFile[], id: string): RunFile {
  const [first] = runs;
  if (!first) throw new UserError("nothing to merge", "give the result directories of the shards");
  for (const r of runs) {
    if (r.input.sha256 !== first.input.sha256) {
      throw new UserError(`run ${r.id} comes from a different matrix file (${r.input.file}, ${r.input.sha256.slice(0, 12)}) than ${first.id} (${first.input.sha256.slice(0, 12)})`, "merge the shards of one matrix run only");
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
  const statuses = runs.map((r) => r.status);
  const { shard: _shard, ...unsharded } = first;
  return {
    ...unsharded,
    id,
    status: statuses.every((s) => s === "completed") ? "completed" : (statuses.find((s) => s !== "completed") ?? "completed"),
    startedAt: runs.map((r) => r.startedAt).sort()[0]!,
    ...(runs.every((r) => r.finishedAt) && { finishedAt: runs.map((r) => r.finishedAt!).sort().at(-1)! }),
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
        cells: r.cells.map((c) => ({ ...c, runs: c.runs.map((x) => ({ ...x, console: prefix(x.console), ...(x.dmesg && { dmesg: prefix(x.dmesg) }) })) })),
        builds: Object.fromEntries(Object.entries(r.builds).map(([k, b]) => [k, { ...b, buildLog: prefix(b.buildLog) }])),
      };
    }),
  );
  const merged = mergeRuns(relinked, path.basename(out));
  await writeJsonAtomic(path.join(out, "matrix.json"), merged);
  return merged;
}
