/**
 * The real source, config and build stages on a fake kernel tree (test/fakes/fakelinux, as
 * tuxmake's test/fakelinux): GNU patch applies each variant's series, the fake's make and
 * merge_config.sh make the config and "compile" mm/memcontrol.c, and its dummy image is
 * that file. Then the one cell runner boots the images on the fake VM, which replays the
 * baseline's real console for the buggy image and the fix's for the fixed one.
 */
import { readFileSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";
import { UserError } from "../../harness/core/errors.js";
import { silentProgress, type Progress } from "../../harness/core/progress.js";
import { prepareSource } from "../../harness/source/registry.js";
import { checkCells, runCells } from "../../harness/pipeline/cells.js";
import { loadedKey } from "../../harness/pipeline/runRecord.js";
import { pathWith, withEnv } from "../support/env.js";
import { scenarioRunFile } from "../support/runFile.js";
import { loadScenario, onSource } from "../../harness/scenario/load.js";
import type { VmSpec } from "../../harness/vm/types.js";
import { judgeGroups, exitCodeOf } from "../../harness/verdict/groups.js";
import { fakeVm, fixture, type FakeBoot } from "../fakes/fakeVm.js";

const FAKES = path.join(projectRoot, "test", "fakes");
const root = fs.mkdtemp(path.join(os.tmpdir(), "kharness-fakelinux-"));
const savedCache = process.env.KHARNESS_CACHE;
beforeAll(async () => void (process.env.KHARNESS_CACHE = path.join(await root, "cache")));
afterAll(async () => {
  if (savedCache === undefined) delete process.env.KHARNESS_CACHE;
  else process.env.KHARNESS_CACHE = savedCache;
  await fs.rm(await root, { recursive: true, force: true });
});

const CONSOLES = {
  bug: fixture("linux-6.1-memcg/before-console.log"),
  fixed: fixture("linux-6.1-memcg/fix-drop-lock-console.log"),
};

/** GNU patch behind a wrapper on PATH that logs each run, and the progress's stages: what each phase did. */
async function watchedTools() {
  const bin = await fs.mkdtemp(path.join(await root, "bin-"));
  const log = path.join(bin, "patch.log");
  await fs.writeFile(log, "");
  await fs.writeFile(path.join(bin, "patch"), `#!/bin/sh\necho "$*" >> ${log}\nexec /usr/bin/patch "$@"\n`, {
    mode: 0o755,
  });
  const stages: string[] = [];
  const progress: Progress = { ...silentProgress, stage: (name) => void stages.push(name) };
  const patchRuns = async () => (await fs.readFile(log, "utf8")).split("\n").filter(Boolean).length;
  return { bin, progress, stages, patchRuns };
}

/** The fake scenario's variants on the fake tree, checked and then run by the one cell runner. */
async function runOnFakeTree(o: { source?: string; afterChecks?: () => Promise<unknown> } = {}) {
  const loaded = onSource(await loadScenario(path.join(FAKES, "fakelinux-scenario")), {
    kind: "dir",
    path: o.source ?? path.join(FAKES, "fakelinux"),
  });
  const dir = await fs.mkdtemp(path.join(await root, "run-"));
  const run = scenarioRunFile(loaded, dir, 6);
  const scenarios = new Map([[loadedKey(loaded), loaded]]);
  const watched = await watchedTools();
  return withEnv({ PATH: pathWith(watched.bin) }, async () => {
    const prepared = await checkCells(run.cells, scenarios, watched.progress);
    const checks = { patchRuns: await watched.patchRuns(), stages: [...watched.stages] };
    await o.afterChecks?.();
    // The fake's image is its mm/memcontrol.c: the fixed line picks the fix's real console.
    const fixed = (spec: VmSpec) => readFileSync(spec.kernel, "utf8").includes("int bug = 0;");
    const vm = fakeVm((spec: VmSpec): FakeBoot => ({
      boot: "ok",
      console: fixed(spec) ? CONSOLES.fixed : CONSOLES.bug,
    }));
    await runCells({ run, dir, scenarios, prepared, jobs: 1, vm, save: async () => {} }, watched.progress);
    const builds = {
      patchRuns: (await watched.patchRuns()) - checks.patchRuns,
      stages: watched.stages.slice(checks.stages.length),
    };
    return { run, vm, prepared, dir, checks, builds };
  });
}

describe("source -> config -> build on a fake kernel tree, then the cell runner", () => {
  it(
    "patches, configures and builds each variant for real; " +
      "the one that does not compile is BROKEN with gcc's first error",
    async () => {
      const { run, vm, prepared, dir } = await runOnFakeTree();
      const got = Object.fromEntries(judgeGroups(run)[0]!.results.map((r) => [r.cell.variant, r.got]));
      expect(got).toEqual({ before: "REPRODUCES", "fix-drop-lock": "FIXED", "fix-broken": "BROKEN" });
      expect(exitCodeOf(run)).toBe(1);
      const broken = Object.values(run.builds).find((b) => b.variant === "fix-broken")!;
      const reason =
        /^build failed: kernel build failed \(exit 2\) for dir-\w+ with 0001-bug\.patch \+ 0002-broken\.patch: \.\.\/mm\/memcontrol\.c:4:2: error: #error a fix that does not compile$/;
      expect(broken).toMatchObject({ status: "failed", reason: expect.stringMatching(reason) });
      expect(await fs.readFile(path.join(dir, broken.buildLog!), "utf8")).toContain("CC      mm/memcontrol.o");
      // The checks found each variant's make command before any build, and the images are the patched file.
      expect(
        [...prepared.values()].every((p) => / make -C \S+ O=\S+\.kharness-build-\S+ .*bzImage$/.test(p.make)),
      ).toBe(true);
      const images = new Set(vm.boots.map((b) => readFileSync(b.kernel, "utf8")));
      expect([...images].map((i) => i.split("\n")[2])).toEqual(
        expect.arrayContaining([
          "int bug = 1; /* cpus_read_lock() under rcu_read_lock() */",
          "int bug = 0; /* fix: the hotplug lock dropped */",
        ]),
      );
      expect(images.size).toBe(2);
    },
  );

  it("prepares each variant once: the builds run no patch, copy no source and make no config", async () => {
    const { run, checks, builds } = await runOnFakeTree();
    // Five patches in three series, each run twice by the checks (a dry run, then for real).
    expect(checks.patchRuns).toBe(10);
    expect(checks.stages.filter((s) => s.startsWith("copy ")).length).toBe(1);
    expect(builds.patchRuns).toBe(0);
    expect(builds.stages.filter((s) => s.startsWith("copy ") || s.startsWith("config "))).toEqual([]);
    // Images cached by an earlier run are not built again; the fix that does not compile runs make each time.
    expect(builds.stages.filter((s) => s.startsWith("build "))).toContainEqual(expect.stringContaining("0002-broken"));
    expect(
      Object.values(run.builds)
        .map((b) => b.status)
        .sort(),
    ).toEqual(["built", "built", "failed"]);
  });

  it("refuses to build on source that changed since the checks (another run refreshed the copy)", async () => {
    const user = path.join(await root, "user-tree");
    await fs.cp(path.join(FAKES, "fakelinux"), user, { recursive: true });
    const edit = async () => {
      await fs.appendFile(path.join(user, "mm", "memcontrol.c"), "int edited;\n");
      await prepareSource({ name: "linux-6.1", source: { kind: "dir", path: user } }, silentProgress);
    };
    const err = await runOnFakeTree({ source: user, afterChecks: edit }).then(
      () => expect.fail("it built"),
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      /^before: directory \S+user-tree changed during the run \(\w{12} at the checks, \w{12} now\)$/,
    );
  });
});
