/**
 * A run's plan: the request (scenario, kernel, arch, tree, fixes, settings) made into a
 * record, or an interrupted run's record replayed from the request it keeps, then checked
 * (each variant's series and config) before anything runs. `kharness run` and its dry run
 * both plan here, so they fail alike.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Progress } from "../core/progress.js";
import { hostRecord } from "./identity.js";
import { expectOf, inputOf, loadedKey, newRunFile, reopened, cellsOfRun } from "./runRecord.js";
import type { Accel } from "../records/common.js";
import type { FixOrigin, RunFile } from "../records/run.js";
import { refuseChangedInput, replayedForced, resumableRecord } from "./resume.js";
import type { VmImplementation } from "../vm/types.js";
import { UserError } from "../core/errors.js";
import { exists, writeFileAtomic } from "../core/files.js";
import { checkRun } from "./cells.js";
import type { PreparedVariant } from "./kernel.js";
import { CLI_SCENARIO_FLAGS, cliScenario, saveCliScenario, TREE_RECIPE } from "../scenario/fromCli.js";
import { loadScenario, onSource, selectVariants, withFixVariant, type LoadedScenario } from "../scenario/load.js";
import { patchFromCommit } from "../source/commitPatch.js";
import { resolveUserCommit } from "../source/gitClone.js";
import { patchFromMail, variantNameFor } from "../source/mbox.js";
import { DEFAULT_WINDOW } from "../verdict/window.js";

export interface RunOptions {
  scenario: string;
  /** The most fresh boots per variant (default: the scenario's maxRuns); a variant stops once decided. */
  maxRuns?: number;
  /** How sure a verdict must be (default 0.95). */
  confidence?: number;
  /** The share of the bug's rate that FIXED must also rule out (default 1: no change at all). */
  residual?: number;
  /** Variants to run (default: all); the baseline is always included. */
  variants?: string[];
  accel?: Accel;
  runId?: string;
  /** A kernel recipe other than the scenario's own (it must have the variants' patches). */
  kernel?: string;
  /** The arch to build for and boot (default x86_64); one of the kernel recipe's arches. */
  arch?: string;
  /** Build from this git tree (kharness's own clone; the checkout is never touched) at `ref`. */
  tree?: string;
  ref?: string;
  /** Candidate fixes: patch or mbox files, each a variant on top of the baseline's series. */
  fix?: string[];
  /** Candidate fixes as commits of `tree`. */
  fixCommit?: string[];
  /** Go on with this interrupted run (its record says what it was asked for). */
  resume?: string;
  /** A scenario from the command line instead of a file: the workload's steps (STEP[:k=v,...]), on --tree. */
  workload?: string[];
  /** Options that must be =y in the final config (a scenario from the command line). */
  require?: string[];
  /** The user's .config as the base config (a scenario from the command line). */
  config?: string;
  /** Where the scenario from the command line is written (default: the run's own scenario/ folder). */
  saveScenario?: string;
}

interface CliFix {
  name: string;
  description: string;
  /**
   * Where the patch goes in the run (fixes/NAME.patch), for the series and the records: written once the run
   * starts.
   */
  patch: string;
  text: string;
  origin: FixOrigin;
}

/** A fix's place in the run's fixes/ folder (written once the checks before the run pass). */
const cliFix = (dir: string, fix: Omit<CliFix, "patch">): CliFix => ({
  ...fix,
  patch: path.join(dir, "fixes", `${fix.name}.patch`),
});

/** A fix from the command line, taken out of its file (a patch, or a mail). */
async function fixFromFile(file: string, dir: string): Promise<CliFix> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read --fix ${file}: ${(err as Error).message}`,
      "give the path of a patch or an mbox saved from the mailing list",
    );
  }
  const mail = await patchFromMail(text, file);
  const origin: FixOrigin = {
    kind: "mail",
    file: path.resolve(file),
    subject: mail.subject,
    ...(mail.messageId && { messageId: mail.messageId }),
    ...(mail.author && { author: mail.author }),
  };
  return cliFix(dir, {
    name: variantNameFor(file),
    description: `${mail.subject} (from ${file})`,
    text: mail.patch,
    origin,
  });
}

/** A fix from the command line as a commit of the tree. */
async function fixFromCommit(tree: string | undefined, rev: string, dir: string): Promise<CliFix> {
  if (!tree)
    throw new UserError(
      `--fix-commit ${rev} needs --tree: the commit is taken from that repository`,
      `add --tree <your kernel git tree>`,
    );
  const commit = await resolveUserCommit(tree, rev, "--fix-commit");
  const { subject, patch } = await patchFromCommit(tree, commit);
  const origin: FixOrigin = { kind: "commit", tree, commit, subject };
  return cliFix(dir, {
    name: `commit-${commit.slice(0, 12)}`,
    description: `${subject} (commit ${commit.slice(0, 12)} of ${tree})`,
    text: patch,
    origin,
  });
}

type ScenarioRequest = Pick<
  RunOptions,
  | "scenario"
  | "kernel"
  | "arch"
  | "tree"
  | "ref"
  | "fix"
  | "fixCommit"
  | "workload"
  | "require"
  | "config"
  | "saveScenario"
>;

/** The fixes given on the command line, each taken out of its file or commit (kept in the run once it starts). */
async function cliFixes(opts: ScenarioRequest, dir: string): Promise<CliFix[]> {
  return [
    ...(await Promise.all((opts.fix ?? []).map((f) => fixFromFile(f, dir)))),
    ...(await Promise.all(
      (opts.fixCommit ?? []).map((c) => fixFromCommit(opts.tree && path.resolve(opts.tree), c, dir)),
    )),
  ];
}

/** The scenario loaded on the user's tree at the ref (checked to exist), when --tree is given. */
async function onTree(loaded: LoadedScenario, opts: ScenarioRequest): Promise<LoadedScenario> {
  if (opts.ref && !opts.tree) throw new UserError("--ref needs --tree", "add --tree <your kernel git tree>");
  if (!opts.tree) {
    if (loaded.kernel.name !== TREE_RECIPE) return loaded;
    throw new UserError(
      `scenario ${loaded.scenario.name} builds your tree (kernel "${TREE_RECIPE}"), and no --tree was given`,
      `add --tree <your kernel git tree> [--ref REV]`,
    );
  }
  const tree = path.resolve(opts.tree);
  await resolveUserCommit(tree, opts.ref ?? "HEAD");
  return onSource(loaded, { kind: "git", tree, ref: opts.ref ?? "HEAD" });
}

/**
 * A scenario from the command line: the tree as it is is the baseline, each fix a variant;
 * validated as a scenario file is, written out as one, and loaded from there.
 */
async function cliScenarioFor(
  opts: ScenarioRequest,
  dir: string,
): Promise<{ loaded: LoadedScenario; fixes: CliFix[] }> {
  if (!opts.tree)
    throw new UserError(
      `a scenario from the command line (${CLI_SCENARIO_FLAGS}) needs --tree`,
      "add --tree <your kernel git tree> [--ref REV]",
    );
  if (opts.kernel)
    throw new UserError(
      "--kernel names a recipe of a scenario file; a scenario from the command line builds --tree",
      "leave out --kernel",
    );
  const tree = path.resolve(opts.tree);
  const ref = opts.ref ?? "HEAD";
  await resolveUserCommit(tree, ref);
  const fixes = await cliFixes(opts, dir);
  const req = {
    tree,
    ref,
    fixes,
    workload: opts.workload ?? [],
    require: opts.require ?? [],
    ...(opts.config && { config: path.resolve(opts.config) }),
  };
  const saved = path.resolve(opts.saveScenario ?? path.join(dir, "scenario"));
  await saveCliScenario(saved, cliScenario(req), req);
  const loaded = await loadScenario(saved, { ...(opts.arch && { arch: opts.arch }) });
  return { loaded: await onTree(loaded, { scenario: saved, tree, ref }), fixes };
}

/**
 * The scenario as the command line asks for it: on the user's tree, with the user's fixes. Checked before any
 * build.
 */
export async function scenarioFor(
  opts: ScenarioRequest,
  dir: string,
): Promise<{ loaded: LoadedScenario; fixes: CliFix[] }> {
  const fromCli = Boolean(opts.workload?.length || opts.require?.length || opts.config || opts.saveScenario);
  if (fromCli && opts.scenario)
    throw new UserError(
      `give a scenario, or a scenario from the command line (${CLI_SCENARIO_FLAGS}), not both`,
      `leave out ${opts.scenario}, or the options`,
    );
  if (fromCli) return cliScenarioFor(opts, dir);
  let loaded = await onTree(
    await loadScenario(opts.scenario, {
      ...(opts.kernel && { kernel: opts.kernel }),
      ...(opts.arch && { arch: opts.arch }),
    }),
    opts,
  );
  const fixes = await cliFixes(opts, dir);
  for (const fix of fixes) loaded = withFixVariant(loaded, fix);
  return { loaded, fixes };
}

/** A new run's record: one group, every cell pending. */
async function newRun(opts: RunOptions, id: string, dir: string, vm: VmImplementation): Promise<Planned> {
  const { loaded, fixes } = await scenarioFor(opts, dir);
  const { scenario } = loaded;
  // Fixes from the command line always run, like the baseline.
  const variants = selectVariants(scenario, opts.variants && [...opts.variants, ...fixes.map((f) => f.name)]);
  const originOf = new Map(fixes.map((f) => [f.name, f.origin]));
  const maxRuns = opts.maxRuns ?? scenario.maxRuns;
  const { kernel, arch, tree, ref, fix, fixCommit } = opts;
  // A scenario from the command line was written out: a resume loads it from there, its fixes are its variants.
  const cli = opts.scenario
    ? { scenario: opts.scenario, ...(fix && { fix: fix.map((f) => path.resolve(f)) }), ...(fixCommit && { fixCommit }) }
    : { scenario: loaded.dir };
  const run = newRunFile({
    kind: "run",
    id,
    input: inputOf(scenario.name, loaded.file, loaded.text),
    host: await hostRecord(vm, loaded.arch),
    cells: cellsOfRun(loaded, variants, maxRuns).map((c) =>
      originOf.has(c.variant) ? { ...c, fix: originOf.get(c.variant)! } : c,
    ),
    expect: { [loadedKey(loaded)]: expectOf(loaded) },
    settings: { confidence: opts.confidence ?? 0.95, maxRuns, residual: opts.residual ?? 1, window: DEFAULT_WINDOW },
    request: {
      ...cli,
      ...(kernel && { kernel }),
      ...(arch && { arch }),
      ...(tree && { tree: path.resolve(tree) }),
      ...(ref && { ref }),
    },
  });
  return { run, loaded, fixes };
}

/** An interrupted run's record, to go on with: its finished cells and the runs of the others are kept. */
async function resumedRun(id: string, dir: string): Promise<Planned> {
  const prior = await resumableRecord("run", id);
  if (!prior.request)
    throw new UserError(`${id} records no request to replay (it is older than run --resume)`, "start a new run");
  const { loaded, fixes } = await scenarioFor(prior.request, dir);
  refuseChangedInput(prior, inputOf(loaded.scenario.name, loaded.file, loaded.text));
  return { run: reopened(prior), loaded, fixes };
}

interface Planned {
  run: RunFile;
  loaded: LoadedScenario;
  fixes: CliFix[];
}

/**
 * The run, checked before it starts: options, scenario, tree, fixes and the resumed record
 * first, then each variant prepared (its series and config, which its build then uses; a
 * results folder is made for these, since the fixes' patches live there, and removed again
 * if they fail or are interrupted), and the scenario by its target for the cell runner.
 * A dry run plans in a scratch folder instead.
 */
export async function plannedRun(
  opts: RunOptions,
  id: string,
  dir: string,
  vm: VmImplementation,
  progress: Progress,
): Promise<
  Planned & { scenarios: Map<string, LoadedScenario>; prepared: Map<string, PreparedVariant>; accel?: Accel }
> {
  const fresh = !(await exists(dir));
  const planned = await (opts.resume ? resumedRun(id, dir) : newRun(opts, id, dir, vm)).catch(async (err: unknown) => {
    // A scenario from the command line is written into the run before it is checked.
    if (fresh) await fs.rm(dir, { recursive: true, force: true });
    throw err;
  });
  const forced = replayedForced(planned.run, { ...(opts.accel && { accel: opts.accel }) });
  if (forced.accel) planned.run.forced = forced;
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const fix of planned.fixes) await writeFileAtomic(fix.patch, fix.text);
    const { loaded } = planned;
    const scenarios = new Map([[loadedKey(loaded), loaded]]);
    const prepared = await checkRun(planned.run, scenarios, progress, forced.accel);
    return { ...planned, scenarios, prepared, ...(forced.accel && { accel: forced.accel }) };
  } catch (err) {
    if (!fresh) throw err;
    await fs.rm(dir, { recursive: true, force: true });
    throw namedAsGiven(err, planned.fixes);
  }
}

/** A fix's copy in the run folder goes with the folder: an error about it names what the user gave instead. */
function namedAsGiven(err: unknown, fixes: CliFix[]): unknown {
  if (!(err instanceof UserError)) return err;
  const given = (f: CliFix) =>
    f.origin.kind === "mail" ? f.origin.file : `--fix-commit ${f.origin.commit.slice(0, 12)}`;
  const message = fixes.reduce((m, f) => m.replaceAll(f.patch, given(f)), err.message);
  return message === err.message ? err : new UserError(message, err.hint);
}
