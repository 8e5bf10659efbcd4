import { promises as fs } from "node:fs";
import path from "node:path";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { executeCells } from "../pipeline/execute.js";
import { hostRecord, newRunId } from "../pipeline/identity.js";
import { expectOf, inputOf, newRunFile, reopened, runCellsOf } from "../pipeline/plan.js";
import type { Accel } from "../records/common.js";
import { readRecord } from "../records/read.js";
import { RUN_FILE_NAME, RunFileSchema, type RunFile } from "../records/run.js";
import type { VmImplementation } from "../vm/types.js";
import { describeRun } from "../pipeline/dryRun.js";
import { describeSource } from "../source/registry.js";
import { buildFailureLines, statsTable, verdictLines } from "../report/summary.js";
import { UserError } from "../core/errors.js";
import { exists, writeFileAtomic } from "../core/files.js";
import { runInterruptible } from "../core/interrupt.js";
import { checkCells } from "../pipeline/cells.js";
import { loadScenario, onSource, selectVariants, withFixVariant, type LoadedScenario } from "../scenario/load.js";
import { patchFromCommit } from "../source/commitPatch.js";
import { resolveUserCommit } from "../source/gitClone.js";
import { patchFromMail, variantNameFor } from "../source/mbox.js";
import { expectedVerdict, judgeGroups, runExitCode } from "../verdict/groups.js";
import { vmImplementation } from "../vm/registry.js";

export interface RunOptions {
  scenario: string;
  /** The most fresh boots per variant (default: the scenario's maxRuns); a variant stops once decided. */
  maxRuns?: number;
  /** How sure a verdict must be (default 0.95). */
  confidence?: number;
  /** Variants to run (default: all); the baseline is always included. */
  variants?: string[];
  accel?: Accel;
  runId?: string;
  /** A kernel recipe other than the scenario's own (it must have the variants' patches). */
  kernel?: string;
  /** The VM implementation (registry name); qemu unless a test replays consoles. */
  vm?: string;
  /** Build from this git tree (kharness's own clone; the checkout is never touched) at `ref`. */
  tree?: string;
  ref?: string;
  /** Candidate fixes: patch or mbox files, each a variant on top of the baseline's series. */
  fix?: string[];
  /** Candidate fixes as commits of `tree`. */
  fixCommit?: string[];
  /** Go on with this interrupted run (its record says what it was asked for). */
  resume?: string;
}

interface CliFix {
  name: string;
  description: string;
  /** Where the patch goes in the run (fixes/NAME.patch), for the series and the records: written once the run starts. */
  patch: string;
  text: string;
}

/** A fix's place in the run's fixes/ folder. */
const cliFix = (dir: string, name: string, description: string, text: string): CliFix => ({
  name,
  description,
  patch: path.join(dir, "fixes", `${name}.patch`),
  text,
});

/** A fix from the command line, taken out of its file (a patch, or a mail). */
async function fixFromFile(file: string, dir: string): Promise<CliFix> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read --fix ${file}: ${(err as Error).message}`, "give the path of a patch or an mbox saved from the mailing list");
  }
  const mail = patchFromMail(text, file);
  return cliFix(dir, variantNameFor(file), `${mail.subject} (from ${file})`, mail.patch);
}

/** A fix from the command line as a commit of the tree. */
async function fixFromCommit(tree: string | undefined, rev: string, dir: string): Promise<CliFix> {
  if (!tree) throw new UserError(`--fix-commit ${rev} needs --tree: the commit is taken from that repository`, `add --tree <your kernel git tree>`);
  const commit = await resolveUserCommit(tree, rev, "--fix-commit");
  const { subject, patch } = await patchFromCommit(tree, commit);
  return cliFix(dir, `commit-${commit.slice(0, 12)}`, `${subject} (commit ${commit.slice(0, 12)} of ${tree})`, patch);
}

/** The scenario as the command line asks for it: on the user's tree, with the user's fixes. Checked before any build. */
async function scenarioFor(opts: Pick<RunOptions, "scenario" | "kernel" | "tree" | "ref" | "fix" | "fixCommit">, dir: string): Promise<{ loaded: LoadedScenario; fixes: CliFix[] }> {
  let loaded = await loadScenario(opts.scenario, { ...(opts.kernel && { kernel: opts.kernel }) });
  if (opts.ref && !opts.tree) throw new UserError("--ref needs --tree", "add --tree <your kernel git tree>");
  if (opts.tree) {
    const tree = path.resolve(opts.tree);
    await resolveUserCommit(tree, opts.ref ?? "HEAD");
    loaded = onSource(loaded, { kind: "git", tree, ref: opts.ref ?? "HEAD" });
  }
  const fixes = [
    ...(await Promise.all((opts.fix ?? []).map((f) => fixFromFile(f, dir)))),
    ...(await Promise.all((opts.fixCommit ?? []).map((c) => fixFromCommit(opts.tree && path.resolve(opts.tree), c, dir)))),
  ];
  for (const fix of fixes) loaded = withFixVariant(loaded, fix);
  return { loaded, fixes };
}

/** A new run's record: one group, every cell pending. */
async function newRun(opts: RunOptions, id: string, dir: string, vm: VmImplementation): Promise<Planned> {
  const { loaded, fixes } = await scenarioFor(opts, dir);
  const { scenario } = loaded;
  // Fixes from the command line always run, like the baseline.
  const variants = selectVariants(scenario, opts.variants && [...opts.variants, ...fixes.map((f) => f.name)]);
  const maxRuns = opts.maxRuns ?? scenario.maxRuns;
  const { scenario: name, kernel, tree, ref, fix, fixCommit } = opts;
  const run = newRunFile({
    kind: "run",
    id,
    input: inputOf(scenario.name, loaded.file, loaded.text),
    host: await hostRecord(vm),
    cells: runCellsOf(loaded, variants, maxRuns),
    expect: { [`${scenario.name}/${loaded.kernel.name}`]: expectOf(loaded) },
    settings: { confidence: opts.confidence ?? 0.95, maxRuns },
    request: { scenario: name, ...(kernel && { kernel }), ...(tree && { tree: path.resolve(tree) }), ...(ref && { ref }), ...(fix && { fix: fix.map((f) => path.resolve(f)) }), ...(fixCommit && { fixCommit }) },
  });
  return { run, loaded, fixes };
}

/** An interrupted run's record, to go on with: its finished cells and the runs of the others are kept. */
async function resumedRun(id: string, dir: string): Promise<Planned> {
  const prior = await readRecord(RunFileSchema, path.join(dir, RUN_FILE_NAME.run), "run record");
  if (prior.kind !== "run" || !prior.request) throw new UserError(`${id} is not a run that can be resumed (a matrix resumes with kharness matrix --resume)`, `list runs with: ls ${resultsRoot()}`);
  if (prior.status === "completed") throw new UserError(`run ${id} already completed`, `see ${path.join(dir, "report.md")}`);
  const { loaded, fixes } = await scenarioFor(prior.request, dir);
  // Runs of one scenario only: evidence from a changed scenario would be judged as if it were the same.
  if (inputOf(loaded.scenario.name, loaded.file, loaded.text).sha256 !== prior.input.sha256) {
    throw new UserError(`${loaded.file} changed since run ${id} started: its runs and new ones would not be the same experiment`, "start a new run");
  }
  return { run: reopened(prior), loaded, fixes };
}

interface Planned {
  run: RunFile;
  loaded: LoadedScenario;
  fixes: CliFix[];
}

/**
 * The run, checked before it starts: options, scenario, tree, fixes and the resumed record
 * first, then each variant's series and config (a results folder is made for these, since
 * the fixes' patches live there, and removed again if they fail or are interrupted).
 */
async function plannedRun(
  opts: RunOptions,
  id: string,
  dir: string,
  vm: VmImplementation,
  progress: Progress,
): Promise<Planned> {
  const planned = opts.resume ? await resumedRun(id, dir) : await newRun(opts, id, dir, vm);
  const fresh = !(await exists(dir));
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const fix of planned.fixes) await writeFileAtomic(fix.patch, fix.text);
    const { loaded } = planned;
    const scenarios = new Map([[`${loaded.scenario.name}/${loaded.kernel.name}`, loaded]]);
    await runInterruptible("the checks of the input", progress, () => checkCells(planned.run.cells, scenarios, progress));
    return planned;
  } catch (err) {
    if (fresh) await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** `kharness run`: a matrix of one group (the scenario's variants on its kernel and guest shape), judged and summed up. */
export async function runCommand(opts: RunOptions, progress: Progress): Promise<{ run: RunFile; dir: string; exitCode: number }> {
  const id = opts.resume ?? opts.runId ?? newRunId(path.basename(opts.scenario));
  const dir = path.join(resultsRoot(), id);
  const vm = vmImplementation(opts.vm ?? "qemu");
  const { run, loaded } = await plannedRun(opts, id, dir, vm, progress);
  const variants = run.cells.map((c) => c.variant);
  progress.info(`run ${id}: ${loaded.scenario.name} on ${loaded.kernel.name} (${describeSource(loaded.kernel.source)}), variants ${variants.join(", ")}, up to ${run.settings.maxRuns} run(s) each until ${Math.round(run.settings.confidence * 100)}% sure; results in ${dir}`);
  const howToContinue = (sig: NodeJS.Signals, killed: number) => `${sig}; ${killed} child process(es) killed; finish with: kharness run --resume ${id}`;
  const scenarios = new Map([[`${loaded.scenario.name}/${loaded.kernel.name}`, loaded]]);
  await executeCells({ run, dir, scenarios, jobs: 1, vm, ...(opts.accel && { accel: opts.accel }) }, progress, howToContinue);
  printSummary(run, dir, progress);
  progress.info(`\nresults: ${dir}`);
  return { run, dir, exitCode: runExitCode(run) };
}

function printSummary(run: RunFile, dir: string, progress: Progress): void {
  const failedBuilds = buildFailureLines(run, dir);
  if (failedBuilds.length) progress.info(`\n${failedBuilds.join("\n")}`);
  for (const g of judgeGroups(run)) {
    progress.info(`\n${statsTable(g)}\n`);
    for (const v of g.verdicts) {
      progress.info(verdictLines(v, run.signatures).join("\n"));
      const expected = expectedVerdict(run, { ...g, variant: v.fix }, g.baseline);
      if (v.verdict !== expected) progress.info(`expected ${v.fix}: ${expected}, got ${v.verdict}`);
    }
  }
}

/** `kharness run --dry-run`: the series, make and VM commands each variant would get. */
export async function dryRunCommand(opts: Pick<RunOptions, "scenario" | "kernel" | "variants" | "vm">): Promise<string> {
  const loaded = await loadScenario(opts.scenario, { ...(opts.kernel && { kernel: opts.kernel }) });
  return describeRun(loaded, selectVariants(loaded.scenario, opts.variants), vmImplementation(opts.vm ?? "qemu"));
}
