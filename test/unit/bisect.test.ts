import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkBadRevision,
  newBisectState,
  runBisection,
  type BisectEnv,
  type BisectSettings,
  type BisectState,
} from "../../harness/bisect/bisect.js";
import { bisectCalibration, chooseTarget, classifyStep, culpritConfidence } from "../../harness/bisect/decide.js";
import { rateOf } from "../../harness/bisect/bisect.js";
import { parseBisectOutput } from "../../harness/bisect/git.js";
import { BisectRepo } from "../../harness/bisect/repo.js";
import { UserError } from "../../harness/core/errors.js";
import { silentProgress } from "../../harness/core/progress.js";

const run = (...bugs: string[]) => ({ booted: true, bugs });
const noBoot = { booted: false, bugs: [] };
const bad33 = { hits: 3, runs: 3 };
const cal = (maxRuns = 8) => bisectCalibration(bad33, 0.95, maxRuns);

describe("bisection decisions, by the verdicts' calibrated test", () => {
  it("a commit is a splat as soon as a target bug shows, whatever else it shows", () => {
    expect(classifyStep([run("other"), run("T")], new Set(["T"]), bad33, cal())).toMatchObject({
      state: "splat",
      hits: 1,
      runs: 2,
    });
  });

  it("clean once its clean runs pass FIXED's test against the bad revision's check runs (run first)", () => {
    const t = new Set(["T"]);
    // 3/3 then 0/2: p = 1/C(5,3) = 0.1, within the level calibrated for a baseline of 3 runs first (0.107).
    expect(cal().levels.fixed).toBeCloseTo(3 / 28, 12);
    expect(classifyStep([run()], t, bad33, cal())).toEqual({ state: "more", runs: 1, needed: 2 });
    const two = classifyStep([run(), run("other")], t, bad33, cal());
    expect(two).toEqual({ state: "clean", runs: 2, confidence: 1 - cal().worstFalseFixed.value });
    expect(cal().worstFalseFixed.value).toBeLessThanOrEqual(0.05);
  });

  it("a commit clean but short of the test is a skip, never a guess; runs that never boot are a skip", () => {
    const weak = { hits: 1, runs: 3 };
    const c = bisectCalibration(weak, 0.95, 4);
    expect(classifyStep([run(), run(), run(), run()], new Set(["T"]), weak, c)).toMatchObject({
      state: "skip",
      reason: expect.stringMatching(/not enough against the bad revision's 1\/3/),
    });
    expect(classifyStep([noBoot, noBoot], new Set(["T"]), bad33, cal(4))).toMatchObject({ state: "skip" });
  });

  it(
    "the rate is the exact lower bound of the check runs; " +
      "the culprit's confidence multiplies the clean calls' guarantees",
    () => {
      const state = newBisectState({
        direction: "cause",
        good: "g",
        bad: "b",
        confidence: 0.95,
        checkRuns: 3,
        maxRuns: 8,
      });
      state.rateEvidence = { hits: 3, runs: 3 };
      expect(rateOf(state)).toBeCloseTo(0.368, 3);
      state.rateEvidence = { hits: 1, runs: 4 };
      expect(rateOf(state)).toBeCloseTo(0.0127, 4);
      expect(culpritConfidence(2, 0.04)).toBeCloseTo(0.96 * 0.96);
      expect(culpritConfidence(0, 0.04)).toBe(1);
    },
  );

  it("the target is every signature of the bad revision, or the one --signature names", () => {
    const seen = [
      { signature: "aaaa", title: "WARNING: suspicious RCU usage in f", callPath: ["f", "g"] },
      { signature: "bbbb", title: "BUG: scheduling while atomic in f", callPath: ["f", "h"] },
    ];
    expect([...chooseTarget(seen).target]).toEqual(["aaaa", "bbbb"]);
    expect([...chooseTarget(seen, "bbbb").target]).toEqual(["bbbb"]);
    expect([...chooseTarget(seen, "WARNING: suspicious RCU usage in f").target]).toEqual(["aaaa"]);
    expect([...chooseTarget(seen, "BUG: scheduling while atomic in f (via h)").target]).toEqual(["bbbb"]);
    expect(chooseTarget(seen, "nope").unmatched).toBe("nope");
  });

  it("reads git bisect's answers", () => {
    const sha = "a".repeat(40);
    expect(
      parseBisectOutput(`Bisecting: 3 revisions left to test after this (roughly 2 steps)\n[${sha}] subject`),
    ).toEqual({ kind: "next", commit: sha, remaining: 3 });
    expect(parseBisectOutput(`${sha} is the first bad commit\ncommit ${sha}\n`)).toEqual({
      kind: "first",
      commit: sha,
    });
    expect(
      parseBisectOutput(
        `There are only 'skip'ped commits left to test.\n` +
          `The first fixed commit could be any of:\n` +
          `${sha}\n${"b".repeat(40)}\nWe cannot bisect more!`,
      ),
    ).toEqual({
      kind: "ambiguous",
      candidates: [sha, "b".repeat(40)],
    });
  });
});

/**
 * A tiny history whose work tree holds one file, `state`: what a kernel of that commit
 * would do. The fake env builds by reading it and "runs" by answering from it.
 */
const HISTORY = [
  "clean",
  "clean",
  "clean",
  "bug",
  "bug",
  "bug",
  "half-fixed",
  "half-fixed",
  "fixed",
  "fixed",
  "broken-build",
  "fixed",
];
let userRepo: string;
let hashes: string[];

async function sh(cwd: string, args: string[]) {
  return (
    await execa("git", args, {
      cwd,
      env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
    })
  ).stdout;
}

/** Every folder the tests make, removed at the end. */
let scratch: string;
afterAll(() => fs.rm(scratch, { recursive: true, force: true }));

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-bisect-"));
  userRepo = path.join(scratch, "repo");
  await fs.mkdir(userRepo);
  await sh(userRepo, ["init", "-q", "-b", "main"]);
  hashes = [];
  for (const [i, s] of HISTORY.entries()) {
    await fs.writeFile(path.join(userRepo, "state"), `${s}\n`);
    await fs.writeFile(path.join(userRepo, "counter"), `${i}\n`);
    await sh(userRepo, ["add", "-A"]);
    await sh(userRepo, ["commit", "-q", "-m", `commit ${i}: ${s}`]);
    hashes.push(await sh(userRepo, ["rev-parse", "HEAD"]));
  }
});

/**
 * bug: RCU splat + worker splat; half-fixed: worker splat only; `flaky` drops every other hit;
 * `otherPath`: the half fix reaches the worker bug's culprit by another call path (another signature, the same bug).
 */
function fakeEnv(repo: BisectRepo, opts: { flaky?: boolean; failAfterRuns?: number; otherPath?: boolean } = {}) {
  const log = { builds: 0, runs: 0 };
  let n = 0;
  const env: BisectEnv = {
    async build() {
      log.builds++;
      const state = (await fs.readFile(path.join(repo.workTree, "state"), "utf8")).trim();
      if (state === "broken-build") return { ok: false, reason: "error: implicit declaration", buildMs: 1 };
      return { ok: true, imageHash: state, bzImage: state, cached: false, buildMs: 1 };
    },
    async test(build) {
      if (opts.failAfterRuns !== undefined && log.runs >= opts.failAfterRuns) throw new Error("interrupted");
      log.runs++;
      n++;
      const shows = !opts.flaky || n % 2 === 0;
      const sigs =
        build.imageHash === "bug"
          ? ["rcu", "worker"]
          : build.imageHash === "half-fixed"
            ? [opts.otherPath ? "worker-via-bdp" : "worker"]
            : [];
      const signatures = shows ? sigs : [];
      return {
        booted: true,
        status: "completed",
        bootMs: 1,
        workloadMs: 1,
        signatures,
        found: signatures.map((s) => ({
          signature: s,
          bug: s.replace("-via-bdp", ""),
          kind: "rcu" as const,
          title: s === "rcu" ? "WARNING: suspicious RCU usage in f" : "BUG: scheduling while atomic in f",
          callPath: ["f"],
          frames: [],
          corrupted: false,
          excerpt: [],
        })),
      };
    },
  };
  return { env, log };
}

/** The shared clone in a cache of its own: each bisection starts from a fresh clone. */
async function openIn(root: string): Promise<BisectRepo> {
  process.env.KHARNESS_CACHE = root;
  return BisectRepo.open(userRepo);
}

async function bisectTiny(
  settings: Partial<BisectSettings> & Pick<BisectSettings, "direction" | "good" | "bad">,
  env?: (r: BisectRepo) => ReturnType<typeof fakeEnv>,
  prior?: BisectState,
) {
  const root = await fs.mkdtemp(path.join(scratch, "cache-"));
  const repo = await openIn(root);
  const fake = (env ?? fakeEnv)(repo);
  const state = prior ?? newBisectState({ confidence: 0.95, checkRuns: 3, maxRuns: 8, ...settings });
  const save = async () => undefined;
  if (!prior) await checkBadRevision(state, repo, fake.env, save, silentProgress);
  const result = await runBisection(state, repo, fake.env, save, silentProgress, path.join(root, "bisect.log"));
  return { result, state, log: fake.log, repo };
}

describe("bisection on a tiny git history with a fake build and test", () => {
  it("cause: names the commit that brought the splat; the git bisect log is real", async () => {
    const { result, state, repo } = await bisectTiny({ direction: "cause", good: hashes[0]!, bad: hashes[7]! });
    expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[3]);
    expect(result.kind === "culprit" && result.commit.subject).toBe("commit 3: bug");
    expect(state.bisectLog).toMatch(new RegExp(`# first bad commit: \\[${hashes[3]}\\]`));
    expect(await repo.log()).toContain("git bisect start");
  });

  it("fix, any baseline signature: names the full fix, not the half fix", async () => {
    const { result } = await bisectTiny({ direction: "fix", good: hashes[9]!, bad: hashes[4]! });
    expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[8]);
  });

  it("fix, one signature: the half fix is the first commit without it", async () => {
    const { result } = await bisectTiny({
      direction: "fix",
      good: hashes[9]!,
      bad: hashes[4]!,
      signature: "WARNING: suspicious RCU usage in f",
    });
    expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[6]);
  });

  it(
    "fix, one signature: " +
      "a commit that reaches the same culprit by another call path still has the bug (as run judges it)",
    async () => {
      const worker = "BUG: scheduling while atomic in f";
      const { result } = await bisectTiny(
        { direction: "fix", good: hashes[9]!, bad: hashes[4]!, signature: worker },
        (r) => fakeEnv(r, { otherPath: true }),
      );
      expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[8]);
    },
  );

  it(
    "flaky reproduction: " +
      "many more clean runs per good commit at the rate's lower bound, same answer, confidence said",
    async () => {
      const { result, state, log } = await bisectTiny(
        { direction: "cause", good: hashes[0]!, bad: hashes[7]!, checkRuns: 6, maxRuns: 30 },
        (r) => fakeEnv(r, { flaky: true }),
      );
      expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[3]);
      expect(result.kind === "culprit" && result.confidence).toBeGreaterThan(0.9);
      const clean = state.steps.filter((s) => s.state?.state === "clean");
      // Half the check runs hit (3/6): 6 clean runs give p = C(6,3)/C(12,3) = 0.091, within the
      // level calibrated for 6 check runs first (0.110); 5 give 0.12. Not Laplace's 4.
      expect(state.rateEvidence).toEqual({ hits: 3, runs: 6 });
      expect(clean.map((s) => s.runs.length)).toEqual([6]);
      expect(log.runs).toBeGreaterThan(state.steps.length);
    },
  );

  it("a build failure is a skip; when skips leave no answer the candidates are listed", async () => {
    const { result, state } = await bisectTiny(
      { direction: "fix", good: hashes[11]!, bad: hashes[9]!.replace(/.*/, hashes[7]!) },
      (r) => {
        const f = fakeEnv(r);
        const build = f.env.build;
        // Commit 8 builds "fixed"; make it fail too, so 8 and 10 are both skipped.
        f.env.build = async (c, l) => (c.hash === hashes[8] ? { ok: false, reason: "boom", buildMs: 1 } : build(c, l));
        return f;
      },
    );
    expect(state.steps.some((s) => s.mark === "skip")).toBe(true);
    expect(result.kind).toBe("ambiguous");
    expect(result.kind === "ambiguous" && result.candidates.map((c) => c.hash)).toContain(hashes[8]);
  });

  it("the bad revision must reproduce, checked before any step", async () => {
    await expect(bisectTiny({ direction: "cause", good: hashes[0]!, bad: hashes[1]! })).rejects.toThrow(UserError);
    await expect(
      bisectTiny({ direction: "cause", good: hashes[0]!, bad: hashes[5]!, signature: "nope" }),
    ).rejects.toThrow(/not among/);
  });

  it("equal kernel images are not run twice", async () => {
    // Commits 3, 4 and 5 build the same "bug" image: the second of them tested takes the first's result.
    const { state, log } = await bisectTiny({ direction: "cause", good: hashes[0]!, bad: hashes[5]! });
    const reused = state.steps.filter((s) => s.sameImageAs !== undefined);
    expect(reused).toHaveLength(1);
    const twin = state.steps[reused[0]!.sameImageAs!]!;
    expect(twin.build).toMatchObject({ imageHash: "bug" });
    expect(reused[0]).toMatchObject({ runs: [], build: { imageHash: "bug" }, state: twin.state });
    expect(log.runs).toBe(state.steps.reduce((n, s) => n + s.runs.length, 0));
  });

  it("an interrupted bisection continues from its saved state and git log", async () => {
    const root = await fs.mkdtemp(path.join(scratch, "resume-"));
    const repo = await openIn(root);
    const state = newBisectState({
      direction: "cause",
      good: hashes[0]!,
      bad: hashes[7]!,
      confidence: 0.95,
      checkRuns: 3,
      maxRuns: 8,
    });
    const saved: string[] = [];
    const save = async () => void saved.push(JSON.stringify(state));
    const first = fakeEnv(repo, { failAfterRuns: 5 });
    await checkBadRevision(state, repo, first.env, save, silentProgress);
    await expect(runBisection(state, repo, first.env, save, silentProgress, path.join(root, "log"))).rejects.toThrow(
      "interrupted",
    );
    const restored = JSON.parse(saved.at(-1)!) as BisectState;
    const decided = restored.steps.filter((s) => s.mark).length;
    const second = fakeEnv(repo);
    const result = await runBisection(restored, repo, second.env, save, silentProgress, path.join(root, "log"));
    expect(result.kind === "culprit" && result.commit.hash).toBe(hashes[3]);
    expect(restored.steps.filter((s) => s.mark).length).toBeGreaterThan(decided);
    expect(second.log.runs).toBeLessThan(restored.steps.reduce((n, s) => n + s.runs.length, 0));
  });
});
