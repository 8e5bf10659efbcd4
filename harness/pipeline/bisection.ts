/**
 * A bisection put together: its input validated and its record made (new, or resumed from
 * bisect.json) before anything runs, then the bisect stages (bisect/) on the bisectEnv.
 */
import { promises as fs } from "node:fs";
import { refuseForeignKvm } from "../core/arch.js";
import path from "node:path";
import { UserError } from "../core/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../core/files.js";
import { runRecorded } from "../core/interrupt.js";
import { withFileLock } from "../core/lock.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { checkBadRevision, newBisectState, rateOf, runBisection, type BisectEnv } from "../bisect/bisect.js";
import { commitCount, isAncestor, resolveUserRevisions } from "../bisect/git.js";
import { bisectMarkdown } from "../bisect/report.js";
import { BisectRepo } from "../bisect/repo.js";
import { treeLockFile } from "../source/kinds.js";
import { bisectEnv } from "./bisectEnv.js";
import { newRunId } from "./identity.js";
import { BISECT_SCHEMA, BisectFileSchema, type BisectFile, type BisectOptions } from "../records/bisect.js";
import { readRecord } from "../records/read.js";
import { loadScenario, type LoadedScenario } from "../scenario/load.js";
import { DEFAULT_VM, vmImplementation } from "../vm/registry.js";

/** Runs of the bad revision that measure the rate the good steps are judged against. */
const BAD_CHECK_RUNS = 3;

/** Everything that can be wrong with the input is found here, before any build. */
async function validate(opts: BisectOptions): Promise<{ good: string; bad: string; loaded: LoadedScenario }> {
  if (!(opts.confidence > 0 && opts.confidence < 1))
    throw new UserError(`--confidence ${opts.confidence} is not between 0 and 1`, "use e.g. --confidence 0.95");
  const loaded = await loadScenario(opts.scenario, { ...(opts.arch && { arch: opts.arch }) });
  refuseForeignKvm(loaded.arch, opts.accel);
  const { good, bad } = await resolveUserRevisions(opts.tree, { good: opts.good, bad: opts.bad });
  const [older, newer] = opts.direction === "cause" ? [good!, bad!] : [bad!, good!];
  if (!(await isAncestor(opts.tree, older, newer))) {
    throw new UserError(
      opts.direction === "cause"
        ? `the good revision ${opts.good} is not an ancestor of the bad revision ${opts.bad}: ` +
            "a cause bisection goes from an older good to a newer bad"
        : `the bad revision ${opts.bad} is not an ancestor of the good revision ${opts.good}: ` +
            "a fix bisection goes from an older bad to a newer good",
      opts.direction === "cause"
        ? "swap the revisions, or add --fix to find the commit that fixed the splat"
        : "swap the revisions, or drop --fix to find the commit that caused the splat",
    );
  }
  return { good: good!, bad: bad!, loaded };
}

/**
 * A bisection planned before anything runs: a new one from options (validated, its record
 * made), or (with `resumeId`) an interrupted one from its bisect.json, validated again.
 */
async function plannedBisection(input: {
  options?: BisectOptions;
  resumeId?: string;
}): Promise<{ record: BisectFile; dir: string; loaded: LoadedScenario }> {
  if (input.resumeId) {
    const dir = path.join(resultsRoot(), input.resumeId);
    const prior = await readRecord(BisectFileSchema, path.join(dir, "bisect.json"), "bisection record");
    if (prior.status === "completed")
      throw new UserError(`bisection ${input.resumeId} already completed`, `see ${path.join(dir, "bisect.md")}`);
    const { error: _error, ...record } = prior;
    const { loaded } = await validate(record.options);
    return { record: { ...record, status: "running" }, dir, loaded };
  }
  const opts = input.options!;
  const { good, bad, loaded } = await validate(opts);
  const id = newRunId(`bisect-${path.basename(opts.scenario)}`);
  const settings = {
    direction: opts.direction,
    good,
    bad,
    ...(opts.signature && { signature: opts.signature }),
    confidence: opts.confidence,
  };
  const state = newBisectState({ ...settings, checkRuns: 0, maxRuns: opts.maxRuns });
  const timings = { buildMs: 0, bootMs: 0, workloadMs: 0, totalMs: 0 };
  const record: BisectFile = {
    schema: BISECT_SCHEMA,
    id,
    status: "running",
    startedAt: new Date().toISOString(),
    options: opts,
    rangeCommits: 0,
    state,
    timings,
  };
  return { record, dir: path.join(resultsRoot(), id), loaded };
}

/**
 * A bisection from its plan to its result: the bad revision checked, then git bisect's
 * steps on the shared clone, held for the whole bisection, with the record saved after
 * every run. What `kharness bisect` does, new or resumed.
 */
export async function bisection(
  input: { options?: BisectOptions; resumeId?: string },
  progress: Progress,
): Promise<{ record: BisectFile; dir: string }> {
  const { record, dir, loaded } = await plannedBisection(input);
  await fs.mkdir(dir, { recursive: true });
  record.state.settings.checkRuns = Math.min(BAD_CHECK_RUNS, record.options.maxRuns);
  const file = path.join(dir, "bisect.json");
  const save = () => writeJsonAtomic(file, record);

  const repo = await BisectRepo.open(record.options.tree);
  const s = record.state.settings;
  record.rangeCommits = await commitCount(
    repo.gitDir,
    s.direction === "cause" ? `${s.good}..${s.bad}` : `${s.bad}..${s.good}`,
  );
  progress.info(
    `bisection ${record.id}: ${s.direction} of ${record.options.scenario} ` +
      `over ${record.rangeCommits} commit(s) of ${record.options.tree}; results in ${dir}`,
  );

  const env: BisectEnv = bisectEnv({ loaded, repo, dir, record, vm: vmImplementation(DEFAULT_VM) }, progress);

  // The clone is `run --tree`'s too: git bisect's state and the work tree are held for the whole bisection.
  await withFileLock(treeLockFile(repo.id), `the clone of ${record.options.tree}`, progress, async () => {
    await repo.discardSeries();
    await bisectIn(record, repo, env, save, progress, dir);
  });
  return { record, dir };
}

async function bisectIn(
  record: BisectFile,
  repo: BisectRepo,
  env: BisectEnv,
  save: () => Promise<void>,
  progress: Progress,
  dir: string,
): Promise<void> {
  const s = record.state.settings;
  const file = path.join(dir, "bisect.json");
  const started = Date.now();
  const howToContinue = (sig: NodeJS.Signals, killed: number) =>
    `${sig}; ${killed} child process(es) killed; continue with: kharness bisect --resume ${record.id}`;
  await runRecorded(
    file,
    record,
    progress,
    howToContinue,
    async () => {
      await save();
      if (!record.state.target.length) {
        progress.info(`checking that the bad revision ${s.bad.slice(0, 12)} reproduces (${s.checkRuns} runs)`);
        await checkBadRevision(record.state, repo, env, save, progress);
      }
      progress.info(
        `target: ${record.state.target.length} signature(s); reproduction rate ${rateOf(record.state).toFixed(2)}`,
      );
      await runBisection(record.state, repo, env, save, progress, path.join(dir, "git-bisect.log"));
    },
    async () => {
      record.timings.totalMs += Date.now() - started;
      await save();
      if (record.state.bisectLog)
        await writeFileAtomic(path.join(dir, "git-bisect.log"), `${record.state.bisectLog}\n`);
      await writeFileAtomic(path.join(dir, "bisect.md"), bisectMarkdown(record));
    },
  );
}
