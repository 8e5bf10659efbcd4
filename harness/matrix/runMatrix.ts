import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BuildFailure } from "../build/build.js";
import { UserError } from "../core/errors.js";
import { readJsonIfExists, writeJsonAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { runRecorded } from "../core/interrupt.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { writeReports } from "../report/write.js";
import { iterationSignatures } from "../report/runRecord.js";
import { prepareGuest, type Guest } from "../run/guest.js";
import { hostRecord, newRunId } from "../run/identity.js";
import { runIteration } from "../run/iteration.js";
import { kernelRecord, prepareVariantKernel } from "../run/kernel.js";
import { expectFor } from "../scenario/load.js";
import type { Scenario } from "../scenario/schema.js";
import { booted } from "../verdict/verdict.js";
import type { Accel } from "../vm/qemu.js";
import { withHotplug } from "../workload/index.js";
import { expandCells, shardCells, type Shard } from "./expand.js";
import { chooseJobs } from "./jobs.js";
import { loadMatrix } from "./load.js";
import { expectedVerdict, judgeGroups, newCell, type CellRecord, type MatrixRunFile } from "./record.js";

export interface MatrixOptions {
  file: string;
  jobs?: number;
  shard?: Shard;
  /** Finish the missing cells of this earlier run. */
  resume?: string;
  accel?: Accel;
  runId?: string;
}

/** The scenario as one cell runs it: its guest's vCPUs, and hotplug stress on or off. */
export function cellScenario(base: Scenario, cell: Pick<CellRecord, "cpus" | "hotplug">): Scenario {
  return { ...base, vm: { ...base.vm, cpus: cell.cpus }, workload: withHotplug(base.workload, cell.hotplug) };
}

/** The cells of a resumed run: those that finished keep their record; the rest (pending, or new in the matrix) start over. */
export function resumeCells(fresh: CellRecord[], prior: CellRecord[]): CellRecord[] {
  const kept = new Map(prior.filter((c) => c.status !== "pending").map((c) => [c.id, c]));
  return fresh.map((c) => kept.get(c.id) ?? c);
}

/** A directory-safe label for a cell's iterations. */
const cellLabel = (c: CellRecord) => `${c.kernel}-${c.scenario}-${c.variant}-cpus${c.cpus}-hotplug-${c.hotplug ? "on" : "off"}`;

/** Exit status: 0 when every fix got its expected verdict and no cell failed, else 1. */
export function matrixExitCode(run: MatrixRunFile): number {
  const groups = judgeGroups(run);
  const wrong = groups.flatMap((g) => g.verdicts.filter((v) => v.verdict !== expectedVerdict(run, { ...g, variant: v.fix }, g.baseline)));
  return wrong.length === 0 && run.cells.every((c) => c.status === "done") ? 0 : 1;
}

/**
 * `kharness matrix`: expand the matrix, build each needed kernel once (one build at a
 * time), then run the cells' iterations on up to `jobs` VMs at once. A failing cell is
 * recorded with its reason and the run goes on; matrix.json is saved after every run.
 */
export async function runMatrix(opts: MatrixOptions, progress: Progress): Promise<{ run: MatrixRunFile; dir: string; exitCode: number }> {
  const m = await loadMatrix(opts.file);
  const scenarios = m.matrix.scenarios.map((name) => {
    const s = m.loaded.get(`${name}/${m.matrix.kernels[0]}`)!.scenario;
    return { name, baseline: s.baseline, variants: Object.keys(s.variants) };
  });
  let keys = expandCells({ scenarios, kernels: m.matrix.kernels, ...(m.matrix.variants && { variants: m.matrix.variants }), cpus: m.matrix.cpus, hotplug: m.matrix.hotplug.map((h) => h === "on") });
  const total = keys.length;
  if (opts.shard) keys = shardCells(keys, opts.shard);

  let run: MatrixRunFile;
  let dir: string;
  const fresh = keys.map((k) => {
    const loaded = m.loaded.get(`${k.scenario}/${k.kernel}`)!;
    return newCell(k, loaded.scenario.baseline, m.matrix.iterations ?? loaded.scenario.iterations, `${k.scenario}/${k.kernel}/${k.variant}`);
  });
  if (opts.resume) {
    dir = path.join(resultsRoot(), opts.resume);
    const prior = await readJsonIfExists<MatrixRunFile>(path.join(dir, "matrix.json"));
    if (!prior || prior.schema !== "kharness.matrix/1") throw new UserError(`no matrix run ${opts.resume} (no ${path.join(dir, "matrix.json")})`, `list runs with: ls ${resultsRoot()}`);
    if (prior.matrix.sha256 !== sha256(m.text)) progress.info(`warning: ${m.file} changed since run ${opts.resume}; cells are matched by id`);
    run = { ...prior, status: "running", cells: resumeCells(fresh, prior.cells) };
    delete run.error;
    delete run.finishedAt;
  } else {
    const id = opts.runId ?? `${newRunId(`matrix-${m.matrix.name}`)}${opts.shard ? `-shard${opts.shard.index}of${opts.shard.count}` : ""}`;
    dir = path.join(resultsRoot(), id);
    run = {
      schema: "kharness.matrix/1",
      id,
      status: "running",
      startedAt: new Date().toISOString(),
      matrix: { name: m.matrix.name, file: path.relative(process.cwd(), m.file), sha256: sha256(m.text) },
      ...(opts.shard && { shard: opts.shard }),
      host: await hostRecord(),
      expect: Object.fromEntries(
        [...m.loaded.entries()].map(([key, { scenario: s, kernel }]) => [key, { ...expectFor(s, kernel.name), [s.baseline]: s.baselineExpect }]),
      ),
      builds: {},
      cells: fresh,
      signatures: {},
      timings: {},
    };
  }
  await fs.mkdir(dir, { recursive: true });
  const vmMiB = Math.max(...run.cells.map((c) => m.loaded.get(`${c.scenario}/${c.kernel}`)!.scenario.vm.memoryMiB));
  run.jobs = opts.jobs ? { count: opts.jobs, reason: `--jobs ${opts.jobs}` } : chooseJobs(os.cpus().length, Math.round(os.freemem() / 2 ** 20), vmMiB);
  const file = path.join(dir, "matrix.json");
  const save = () => writeJsonAtomic(file, run);
  const addTime = (stage: string, ms: number) => (run.timings[stage] = (run.timings[stage] ?? 0) + ms);
  const pending = () => run.cells.filter((c) => c.status === "pending");
  progress.info(
    `matrix ${run.id}: ${run.cells.length} cell(s)${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${total})` : ""}, ${pending().length} to run; ${run.jobs.reason}; results in ${dir}`,
  );

  const started = Date.now();
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig}; ${killed} child process(es) killed; finish with: kharness matrix ${m.file} --resume ${run.id}`;
  await runRecorded(
    file,
    run,
    progress,
    howToContinue,
    async () => {
      await save();
      // Builds, one at a time: the cache makes a kernel that several cells share one build.
      const images = new Map<string, string>();
      for (const key of [...new Set(pending().map((c) => c.build))]) {
        const [scenario, kernel, variant] = key.split("/") as [string, string, string];
        const buildLog = path.join(dir, "builds", `${kernel}-${scenario}-${variant}.log`);
        try {
          const k = await prepareVariantKernel(m.loaded.get(`${scenario}/${kernel}`)!, variant, buildLog, progress);
          images.set(key, k.image.bzImage);
          run.host.toolchain = k.toolchain;
          run.builds[key] = { ...kernelRecord(k, dir, buildLog), scenario, kernel, status: "built" };
          addTime("build", k.timings.buildMs);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          const reason = `${err instanceof BuildFailure ? "build failed" : "cannot build"}: ${err.message.split("\n")[0]}`;
          run.builds[key] = { scenario, kernel, variant, status: "failed", reason, sourceId: "", sourceHash: "", patches: [], patchWarnings: [], configSha256: "", imageKey: "", cached: false, buildMs: 0, compiledObjects: 0, buildLog: path.relative(dir, buildLog), command: "" };
          for (const c of pending().filter((x) => x.build === key)) Object.assign(c, { status: "failed", reason });
          progress.info(`${key}: ${reason}; its cells are recorded as failed`);
        }
        await save();
      }

      const first = images.values().next().value;
      const guest: Guest | undefined = first ? await prepareGuest(dir, first, progress, opts.accel) : undefined;
      if (guest) run.accel = guest.accel;

      // Runs: the cells' iterations on up to `jobs` VMs at once, interleaved across cells.
      const tasks: { cell: CellRecord; iteration: number }[] = [];
      const most = Math.max(0, ...pending().map((c) => c.iterations));
      for (let it = 1; it <= most; it++) for (const cell of pending()) if (it > cell.runs.length && it <= cell.iterations) tasks.push({ cell, iteration: it });
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < tasks.length) {
          const { cell, iteration } = tasks[next++]!;
          const loaded = m.loaded.get(`${cell.scenario}/${cell.kernel}`)!;
          const out = await runIteration(
            { scenario: cellScenario(loaded.scenario, cell), variant: cellLabel(cell), iteration, bzImage: images.get(cell.build)!, initrd: guest!.initrd, accel: guest!.accel, key: guest!.key, runDir: dir },
            progress,
          );
          cell.runs.push(out.record);
          for (const sig of iterationSignatures(out.record.status, out.groups)) run.signatures[sig.signature] ??= sig;
          addTime("boot", out.record.bootMs);
          addTime("workload", out.record.workloadMs);
          addTime("collect", out.record.collectMs);
          if (cell.runs.length >= cell.iterations) finishCell(cell);
          progress.info(`[${++done}/${tasks.length}] ${cell.id} #${iteration}: ${out.record.status}, ${out.groups.length} unique splat(s)`);
          await save();
        }
      };
      if (guest) await Promise.all(Array.from({ length: Math.min(run.jobs!.count, tasks.length) }, worker));
    },
    async () => {
      addTime("total", Date.now() - started);
      await save();
      await writeReports(dir, run);
    },
  );
  return { run, dir, exitCode: matrixExitCode(run) };
}

/** A cell is done when its iterations ran; failed when none of them booted and ran the workload. */
function finishCell(cell: CellRecord): void {
  const ran = cell.runs.filter(booted);
  const problems = cell.runs.filter((r) => r.status !== "completed").map((r) => `#${r.iteration} ${r.status}${r.reason ? `: ${r.reason}` : ""}`);
  cell.status = ran.length > 0 ? "done" : "failed";
  if (problems.length) cell.reason = problems.join("; ");
}
