import path from "node:path";
import { BuildFailure } from "../build/build.js";
import { refuseForeignKvm } from "../core/arch.js";
import { interruption, runInterruptible, throwIfInterrupted } from "../core/interrupt.js";
import type { Progress } from "../core/progress.js";
import type { Accel } from "../records/common.js";
import { targetKey, type CellRecord, type IterationRecord, type RunFile } from "../records/run.js";
import type { LoadedScenario } from "../scenario/load.js";
import { groupsOf, judgeSettings } from "../verdict/groups.js";
import { planGroup } from "../verdict/stopping.js";
import { trialWindow } from "../verdict/window.js";
import type { SourceTree } from "../source/source.js";
import type { VmImplementation } from "../vm/types.js";
import { prepareGuest, type Guest } from "./guest.js";
import { runIteration } from "./iteration.js";
import { buildVariant, kernelIdentity, kernelRecord, prepareVariant, type PreparedVariant } from "./kernel.js";
import { refuseChangedKernels } from "./resume.js";
import {
  applyRound,
  cellScenario,
  recordAccel,
  recordBuildFailed,
  recordBuilt,
  recordIteration,
  type RoundPlan,
  type RoundTask,
} from "./runRecord.js";

/** What the one cell runner needs: the record it fills, the scenarios its cells name, and how to run guests. */
export interface CellRun {
  run: RunFile;
  dir: string;
  /** Each scenario loaded for each kernel and arch, by `targetKey`. */
  scenarios: Map<string, LoadedScenario>;
  jobs: number;
  vm: VmImplementation;
  accel?: Accel;
  /** Each pending cell's kernel as the checks prepared it, by build key (checkCells). */
  prepared: Map<string, PreparedVariant>;
  /** Write the record; called after every build and every run. */
  save: () => Promise<void>;
}

const pending = (run: RunFile) => run.cells.filter((c) => c.status === "pending");
const loadedFor = (ctx: Pick<CellRun, "scenarios">, c: Pick<CellRecord, "scenario" | "kernel" | "arch">) =>
  ctx.scenarios.get(targetKey(c))!;

/**
 * THE place the stages meet, for `run` and `matrix` alike: build every pending cell's
 * kernel (one build at a time: the cache makes a shared kernel one build), prepare one
 * guest, then run rounds of iterations on up to `jobs` VMs until every cell's verdict is
 * decided (or its budget spent).
 */
export async function runCells(ctx: CellRun, progress: Progress): Promise<void> {
  const images = await buildCells(ctx, progress);
  const guests = await prepareGuests(ctx, images, progress);
  if (guests.size === 0) return;
  await runPool(ctx, images, guests, progress);
}

/**
 * One guest per arch that has a kernel to boot (its busybox, dropbear and accelerator are
 * the arch's), probed with one of its kernels. The record keeps each arch's accelerator, as
 * this session chose it (a resumed run may run under another).
 */
async function prepareGuests(
  ctx: CellRun,
  images: Map<string, string>,
  progress: Progress,
): Promise<Map<string, Guest>> {
  const guests = new Map<string, Guest>();
  for (const cell of ctx.run.cells.filter((c) => images.has(c.build))) {
    if (guests.has(cell.arch)) continue;
    const guest = await prepareGuest(
      ctx.dir,
      loadedFor(ctx, cell).arch,
      images.get(cell.build)!,
      ctx.vm,
      progress,
      ctx.accel,
    );
    guests.set(cell.arch, guest);
    recordAccel(ctx.run, cell.arch, guest.accel);
  }
  return guests;
}

/**
 * Bad input (a patch that does not apply, an option that does not survive, a missing
 * tarball) in any kernel the pending cells need: found before the run starts, in seconds
 * (minutes for a first unpack), before any build. Each build key's kernel is prepared here,
 * once, and built from that preparation.
 */
export async function checkCells(
  cells: CellRecord[],
  scenarios: CellRun["scenarios"],
  progress: Progress,
  accel?: Accel,
): Promise<Map<string, PreparedVariant>> {
  const todo = cells.filter((c) => c.status === "pending");
  // Before any variant's checks, which may unpack a tree: an accelerator the arch cannot have is the first answer.
  for (const cell of todo) refuseForeignKvm(scenarios.get(targetKey(cell))!.arch, accel);
  const prepared = new Map<string, PreparedVariant>();
  // One preparation of each source (a copy refreshed, a commit checked out), whatever the number of its variants.
  const trees = new Map<string, SourceTree>();
  for (const key of new Set(todo.map((c) => c.build))) {
    const cell = todo.find((c) => c.build === key)!;
    const loaded = scenarios.get(targetKey(cell))!;
    // By recipe and source: a tarball's tree is named after its recipe.
    const source = JSON.stringify([loaded.kernel.name, loaded.kernel.source]);
    const p = await prepareVariant(loaded, cell.variant, progress, trees.get(source));
    trees.set(source, p.tree);
    prepared.set(key, p);
  }
  return prepared;
}

/**
 * A run's or matrix's checks before it starts (interruptible), then a resumed run's kernels
 * held to the ones its earlier runs booted (refuseChangedKernels). What both planners call.
 */
export async function checkRun(
  run: RunFile,
  scenarios: CellRun["scenarios"],
  progress: Progress,
  accel?: Accel,
): Promise<Map<string, PreparedVariant>> {
  const check = () => checkCells(run.cells, scenarios, progress, accel);
  const prepared = await runInterruptible("the checks of the input", progress, check);
  refuseChangedKernels(run, new Map([...prepared].map(([key, p]) => [key, kernelIdentity(p)])));
  return prepared;
}

/**
 * The build of each kernel the pending cells need, from its preparation; a kernel that fails to compile
 * fails its cells.
 */
async function buildCells(ctx: CellRun, progress: Progress): Promise<Map<string, string>> {
  const { run, dir } = ctx;
  const images = new Map<string, string>();
  const keys = [...new Set(pending(run).map((c) => c.build))];
  for (const key of keys) {
    const cell = pending(run).find((c) => c.build === key)!;
    const prepared = ctx.prepared.get(key);
    if (!prepared) throw new Error(`build ${key} was not prepared by checkCells`);
    const buildLog = path.join(dir, "builds", `${key.replaceAll("/", "-")}.log`);
    try {
      const k = await buildVariant(prepared, buildLog, progress);
      images.set(key, k.image.bzImage);
      recordBuilt(run, cell, kernelRecord(k, dir, buildLog), k.timings.buildMs);
      progress.info(
        `${key}: image ${k.image.key.slice(0, 12)} ` +
          (k.image.cached
            ? "from cache (no make)"
            : `built in ${(k.image.durationMs / 1000).toFixed(0)}s, ${k.image.compiled.length} objects compiled`),
      );
    } catch (err) {
      if (!(err instanceof BuildFailure)) throw err;
      // The message's first line names the first compiler or linker error; the rest (the log's tail) is in the log.
      const reason = `build failed: ${err.message.split("\n")[0]}`;
      recordBuildFailed(run, cell, reason, path.relative(dir, buildLog));
      progress.info(`${key}: ${reason}; its cells are recorded as failed (${path.relative(process.cwd(), buildLog)})`);
    }
    await ctx.save();
  }
  return images;
}

/** The directory name of a cell's iterations: the variant for a run, the whole cell for a matrix. */
export function iterationLabel(kind: RunFile["kind"], c: CellRecord): string {
  return kind === "run"
    ? c.variant
    : `${c.kernel}-${c.arch}-${c.scenario}-${c.variant}-cpus${c.cpus}-hotplug-${c.hotplug ? "on" : "off"}`;
}

/**
 * The next round of runs: for every group, the stopping rules say which of its variants
 * need another run; the rest are closed with the reason they stopped. One run of each
 * undecided variant per round, so a fix and the baseline gather evidence side by side, as
 * the calibration assumes. A fix closed by the rules keeps its verdict and the baseline
 * records it was judged against. Planned from the record, then kept in it (applyRound).
 */
export function nextRound(run: RunFile): RoundTask[] {
  return applyRound(planRound(run));
}

/** What the stopping rules say of each group's open cells, read from the record and changing nothing. */
export function planRound(run: RunFile): RoundPlan {
  const plan: RoundPlan = { close: [], tasks: [] };
  for (const cells of groupsOf(run.cells)) {
    const baseline = cells.find((c) => c.variant === c.baseline);
    // Without a baseline kernel there is nothing to judge against: no run would help.
    if (!baseline || baseline.status === "failed") {
      for (const cell of cells.filter((x) => x.status === "pending"))
        plan.close.push({ cell, why: "the baseline's kernel did not build" });
      continue;
    }
    // The baseline first: its run of the round can set the window of the fixes' runs after it.
    const judged = [baseline, ...cells.filter((c) => c !== baseline && c.status !== "failed")];
    const windowAtStart = () => trialWindow(baseline.runs, judgeSettings(run, cells).window);
    const rules = planGroup({
      baseline: baseline.variant,
      runs: Object.fromEntries(judged.map((c) => [c.variant, c.runs])),
      decided: judged.filter((c) => c.judgedAgainst !== undefined).map((c) => c.variant),
      signatures: run.signatures,
      ...judgeSettings(run, cells),
    });
    for (const cell of judged.filter((c) => c.judgedAgainst === undefined)) {
      const p = rules[cell.variant]!;
      const judgedAgainst = cell === baseline ? undefined : baseline.runs.length;
      if (p.done) plan.close.push({ cell, why: p.why, ...(judgedAgainst !== undefined && { judgedAgainst }) });
      else plan.tasks.push({ cell, iteration: cell.runs.length + 1, ...(cell !== baseline && { windowAtStart }) });
    }
  }
  return plan;
}

/**
 * Run rounds of iterations on up to `jobs` VMs at once until every pending cell is decided; `images` maps a
 * cell's build key to its kernel.
 */
export async function runPool(
  ctx: Omit<CellRun, "prepared">,
  images: Map<string, string>,
  guests: Map<string, Guest>,
  progress: Progress,
): Promise<void> {
  let done = 0;
  // A worker that fails (a host error) or an interrupt stops the others before their next boot.
  let failed = false;
  const more = () => !failed && !interruption();
  for (let round = nextRound(ctx.run); round.length > 0 && more(); round = nextRound(ctx.run)) {
    let next = 0;
    const worker = async () => {
      while (next < round.length && more()) {
        const { cell, iteration, windowAtStart } = round[next++]!;
        const windowMs = windowAtStart?.();
        const loaded = loadedFor(ctx, cell);
        const inputs = {
          scenario: cellScenario(loaded.scenario, cell),
          arch: loaded.arch,
          label: iterationLabel(ctx.run.kind, cell),
          iteration,
          bzImage: images.get(cell.build)!,
          guest: guests.get(cell.arch)!,
          runDir: ctx.dir,
          vm: ctx.vm,
          ...(windowMs !== undefined && { windowMs }),
        };
        const out = await runIteration(inputs, progress).catch((err: unknown) => {
          failed = true;
          throw err;
        });
        recordIteration(ctx.run, cell, out);
        progress.info(
          `[${++done}] ${cell.id} #${iteration}: ${out.record.status}${stopNote(out.record)}, ` +
            `${out.groups.length} unique splat(s)`,
        );
        await ctx.save();
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.jobs, round.length) }, worker));
  }
  throwIfInterrupted("the runs");
  for (const c of ctx.run.cells.filter((x) => x.stopped))
    progress.info(`${c.id}: stopped after ${c.runs.length} run(s): ${c.stopped}`);
}

/**
 * Why a run ended before its workload did: only a report decides a run, so a clean one that stopped ran out
 * its window.
 */
const stopNote = (r: IterationRecord) =>
  r.stoppedEarly === undefined ? "" : r.primary === undefined ? " (clean for its trial window)" : " (decided early)";
