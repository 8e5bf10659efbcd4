import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCommand } from "../../harness/build/build.js";
import { dryRunCommand, runCommand, type RunOptions } from "../../harness/commands/run.js";
import { UserError } from "../../harness/core/errors.js";
import { projectRoot } from "../../harness/core/paths.js";
import { silentProgress } from "../../harness/core/progress.js";
import { describeRun } from "../../harness/pipeline/dryRun.js";
import { plannedRun } from "../../harness/pipeline/runPlan.js";
import { kernelIdentity, kernelRecord } from "../../harness/pipeline/kernel.js";
import { recordBuilt } from "../../harness/pipeline/runRecord.js";
import { writeJsonAtomic } from "../../harness/core/files.js";
import type { PreparedVariant } from "../../harness/pipeline/kernel.js";
import { cellsOfRun } from "../../harness/pipeline/runRecord.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { qemuVm } from "../../harness/vm/qemu/vm.js";
import { withEnv } from "../support/env.js";

let scratch: string;
let results: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-dry-run-test-"));
  results = path.join(scratch, "results");
  process.env.KHARNESS_RESULTS = results;
});
afterAll(async () => {
  delete process.env.KHARNESS_RESULTS;
  await fs.rm(scratch, { recursive: true, force: true });
});

/** What a promise threw (it must throw). */
async function thrown(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => expect.fail("it did not throw"),
    (err: Error) => err,
  );
}

/** The dry run fails as the real run does: the same input error (exit 2), and neither leaves a results folder. */
async function sameFailure(opts: RunOptions): Promise<Error> {
  const dry = await thrown(dryRunCommand(opts, silentProgress));
  const real = await thrown(runCommand(opts, silentProgress));
  expect(dry).toBeInstanceOf(UserError);
  expect(dry.message).toBe(real.message);
  expect(await fs.readdir(results).catch(() => [])).toEqual([]);
  return dry;
}

describe("--dry-run checks the input as the run does", () => {
  it("--tree that is not a git repository", async () => {
    const notRepo = path.join(scratch, "not-a-repo");
    await fs.mkdir(notRepo, { recursive: true });
    const err = await sameFailure({ scenario: "memcg-hotplug-lockdep", tree: notRepo });
    expect(err.message).toContain(notRepo);
  });

  it("--fix that holds no patch", async () => {
    const fix = path.join(scratch, "notes.txt");
    await fs.writeFile(fix, "Looks good to me, but I did not test it.\n");
    const err = await sameFailure({ scenario: "memcg-hotplug-lockdep", fix: [fix] });
    expect(err.message).toContain(fix);
  });
});

/** A cache of this file's own for the runs on the fake tree. */
const withFakeCache = <T>(use: () => Promise<T>) => withEnv({ KHARNESS_CACHE: path.join(scratch, "cache") }, use);

/** The fake kernel tree as a git repository of the user's, made once. */
let userTree: Promise<string> | undefined;
function fakeUserTree(): Promise<string> {
  userTree ??= (async () => {
    const tree = path.join(scratch, "fakelinux");
    await fs.cp(path.join(projectRoot, "test", "fakes", "fakelinux"), tree, { recursive: true });
    const git = (...args: string[]) =>
      execa("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: tree });
    await git("init", "-q", "-b", "main");
    await git("add", ".");
    await git("commit", "-q", "-m", "fake");
    return tree;
  })();
  return userTree;
}

describe("a run that fails its checks leaves nothing behind", () => {
  it(
    "a --fix that does not apply to --tree: " +
      "found by the series checks, after the fix was saved in the run, which is removed",
    async () => {
      const tree = await fakeUserTree();
      const fix = path.join(scratch, "stale-fix.patch");
      const patch = await fs.readFile(
        path.join(projectRoot, "test", "fakes", "fakelinux-scenario", "patches", "0003-fix.patch"),
        "utf8",
      );
      await fs.writeFile(fix, patch.replace("-int bug = 1;", "-int bug = 7;"));
      await withFakeCache(async () => {
        const scenario = path.join(projectRoot, "test", "fakes", "fakelinux-scenario");
        const err = await sameFailure({ scenario, tree, fix: [fix], variants: ["before"] });
        // The copy saved in the run went with its folder: the error names the user's file.
        expect(err.message.startsWith(`patch ${fix} does not apply to git-`)).toBe(true);
        expect(err.message).toContain(": hunk #1 of mm/memcontrol.c (at line 1) failed");
      });
    },
  );

  it("--resume of a run that does not exist", async () => {
    const err = await sameFailure({ scenario: "", resume: "typo" });
    expect(err.message).toBe(`--resume typo: there is no run typo in ${results}`);
  });
});

describe("--dry-run prints what would run", () => {
  it("the make command with the build's environment, and the SSH port as a placeholder", async () => {
    const loaded = await loadScenario("memcg-hotplug-lockdep");
    const cells = cellsOfRun(loaded, ["before", "fix-reorder"], 7);
    cells[1]!.status = "done";
    const make = makeCommand(
      loaded.arch,
      { dir: "/src/linux" },
      { buildDir: "/src/linux/.kharness-build-abc" },
    ).command;
    const settings = { confidence: 0.95, maxRuns: 7, residual: 1 };
    const prepared = new Map([[cells[0]!.build, { make } as PreparedVariant]]);
    const text = describeRun(loaded, { cells, settings }, prepared, qemuVm);
    expect(text).toContain(`  build: ${make}`);
    expect(make).toMatch(
      /^CCACHE_DIR=\S+ CCACHE_BASEDIR=\/src\/linux 'KBUILD_BUILD_TIMESTAMP=[^']+' .* make -C \/src\/linux /,
    );
    expect(text).toContain("variant fix-reorder: ");
    expect(text).toContain("  build: none: its cell is finished");
    expect(text).toContain("up to 7 per variant");
    expect(text).not.toContain("10022");
    expect(text).toMatch(/hostfwd=tcp:127\.0\.0\.1:<free-port>-:22/);
    expect(text).toMatch(/placeholders in <>; each boot takes a free SSH port/);
    // The disk as makeDisk makes it: the default scenario's writer asks for an ext2 made on the host.
    expect(text).toContain(
      "  disk: a new sparse 1024 MiB file, " +
        "then mke2fs -q -F -t ext2 'results/<run-id>/iterations/<variant>-<n>/disk.img'",
    );
  });
});

describe("a resumed run replays what its first session forced", () => {
  it("--accel goes into the record; a resume forcing none runs under it, one forcing its own uses that", async () => {
    try {
      await withFakeCache(async () => {
        const scenario = path.join(projectRoot, "test", "fakes", "fakelinux-scenario");
        const dir = path.join(results, "forced");
        const opts = { scenario, tree: await fakeUserTree(), variants: ["before"], accel: "tcg" as const };
        const first = await plannedRun(opts, "forced", dir, qemuVm, silentProgress);
        expect(first.accel).toBe("tcg");
        expect(first.run.forced).toEqual({ accel: "tcg" });
        await writeJsonAtomic(path.join(dir, "run.json"), { ...first.run, status: "interrupted" });
        const resumed = await plannedRun({ scenario: "", resume: "forced" }, "forced", dir, qemuVm, silentProgress);
        expect(resumed.accel).toBe("tcg");
        const own = await plannedRun(
          { scenario: "", resume: "forced", accel: "kvm" },
          "forced",
          dir,
          qemuVm,
          silentProgress,
        );
        expect(own.accel).toBe("kvm");
      });
    } finally {
      await fs.rm(path.join(results, "forced"), { recursive: true, force: true });
    }
  });
});

describe("a resumed run's kernels must be the ones its runs booted", () => {
  it("the ref moved to other code since the run started: the resume is refused, naming the build", async () => {
    const dir = path.join(results, "moved");
    try {
      await withFakeCache(async () => {
        const scenario = path.join(projectRoot, "test", "fakes", "fakelinux-scenario");
        const tree = await fakeUserTree();
        const first = await plannedRun({ scenario, tree, variants: ["before"] }, "moved", dir, qemuVm, silentProgress);
        // The baseline was built and booted once, then the run was interrupted.
        const cell = first.run.cells[0]!;
        const p = first.prepared.get(cell.build)!;
        const key = kernelIdentity(p).imageKey;
        const image = { key, bzImage: "b", cached: true, durationMs: 0, command: "make", compiled: [] };
        const k = { ...p, image, timings: { sourceMs: 0, configMs: 0, buildMs: 0 } };
        recordBuilt(first.run, cell, kernelRecord(k, dir, path.join(dir, "builds", "b.log")), 0);
        cell.runs.push({
          iteration: 1,
          status: "completed",
          bootMs: 0,
          workloadMs: 0,
          collectMs: 0,
          console: "c",
          vmCommand: "",
          splats: [],
        });
        await writeJsonAtomic(path.join(dir, "run.json"), { ...first.run, status: "interrupted" });
        const resume = () => plannedRun({ scenario: "", resume: "moved" }, "moved", dir, qemuVm, silentProgress);
        await resume();
        // A commit with the same tree is the same kernel; one that changes the code is not.
        const git = (...args: string[]) =>
          execa("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: tree });
        await git("commit", "-q", "--allow-empty", "-m", "same code");
        await resume();
        await fs.writeFile(path.join(tree, "later.c"), "int later;\n");
        await git("add", "later.c");
        await git("commit", "-q", "-m", "later");
        const err = await resume().then(
          () => expect.fail("resumed"),
          (e: Error) => e,
        );
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toMatch(
          /^\S+\/before is not the kernel run moved booted before \(source \w{12} -> \w{12}\): /,
        );
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
