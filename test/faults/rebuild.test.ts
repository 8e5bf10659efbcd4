import { promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { sha256File } from "../../harness/core/hash.js";
import { cacheRoot } from "../../harness/core/paths.js";
import { buildDirOf } from "../../harness/source/kinds.js";
import { kharness, processesOf, readJson, runDirIn, scratch, sleep, stillRunning } from "./support.js";

/**
 * Kill-and-rebuild reproducibility, for real: the default scenario's baseline is built in
 * a fresh build root (KHARNESS_BUILD_ROOT: its own build directory and image cache; the
 * shared source tree, configs and ccache), killed at four points, rebuilt, and its image
 * compared with a clean build in another fresh build root. With a warm ccache each build
 * is mostly cache hits and the link: about 3 to 5 min for the clean one here (2 cores).
 */
const roots = { killed: scratch("rebuild-killed"), clean: scratch("rebuild-clean") };
/** The build directories a build root of its own got, beside the shared ones in the source trees (buildDirOf). */
async function ownBuildDirs(root: string): Promise<string[]> {
  const src = path.join(cacheRoot(), "src");
  const trees = await fs.readdir(src).catch(() => [] as string[]);
  const suffix = path.basename(buildDirOf("/", "0".repeat(12), root));
  const own = suffix.slice(suffix.lastIndexOf("-"));
  const dirs = await Promise.all(
    trees.map(async (t) =>
      (await fs.readdir(path.join(src, t)).catch(() => [] as string[]))
        .filter((d) => d.startsWith(".kharness-build-") && d.endsWith(own))
        .map((d) => path.join(src, t, d)),
    ),
  );
  return dirs.flat();
}
afterAll(async () =>
  Promise.all(
    Object.values(roots).map(async (r) => {
      for (const d of await ownBuildDirs(await r)) await fs.rm(d, { recursive: true, force: true });
      await fs.rm(await r, { recursive: true, force: true });
    }),
  ),
);

const envOf = async (root: Promise<string>) => ({
  KHARNESS_BUILD_ROOT: await root,
  KHARNESS_RESULTS: path.join(await root, "results"),
});
const build = async (root: Promise<string>) => kharness(["build", "memcg-hotplug-lockdep"], await envOf(root));

/** Wait until the build log at `log` (rewritten by each build) satisfies `ready`. */
async function logShows(log: string, ready: (text: string) => boolean, ms = 30 * 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    if (ready(await fs.readFile(log, "utf8").catch(() => ""))) return;
  }
  throw new Error(`timed out waiting in ${log}`);
}
const compiled = (n: number) => (text: string) => (text.match(/^\s+CC\s+\S+\.o$/gm) ?? []).length >= n;
const linking = (text: string) => /^\s+(LD\s+\.tmp_vmlinux|KSYMS|LD\s+vmlinux$)/m.test(text);

/** The make under kharness's group supervisor (group.sh), as the kharness's record of its children names it. */
const makeGroup = (kharnessPid: number) =>
  processesOf(kharnessPid).find((p) => p.cmdline.includes("make") && p.pgid === p.pid)!;

/** A power cut, as the build sees it: kharness and make's whole group SIGKILLed at once, so nothing cleans up. */
async function cutAt(root: Promise<string>, ready: (text: string) => boolean) {
  const b = await build(root);
  await logShows(path.join(await root, "results", "builds", "x86_64-before.log"), ready);
  const group = makeGroup(b.proc.pid!);
  process.kill(-group.pid, "SIGKILL");
  b.proc.kill("SIGKILL");
  await b.proc;
}

describe("a build killed at any point, rebuilt, gives the clean build's image", () => {
  it(
    "kharness SIGKILLed early; make SIGKILLed alone (OOM-like: infra, not BROKEN); " +
      "power cuts mid-compile and at the link; then the rebuild",
    async () => {
      const log = path.join(await roots.killed, "results", "builds", "x86_64-before.log");
      const t0 = Date.now();
      // 1. kharness alone: make's group gets TERM from its parent-death signal, then KILL; nothing of it
      // runs 5 s later.
      const first = await build(roots.killed);
      await logShows(log, compiled(30));
      const running = processesOf(first.proc.pid!);
      expect(running.some((p) => p.cmdline[0] === "make")).toBe(true);
      first.proc.kill("SIGKILL");
      await first.proc;
      await sleep(5000);
      expect(stillRunning(running)).toEqual([]);

      // 2. make alone, from outside, during a run: a host failure, and no verdict about the kernel.
      // Its own results folder: the one of `kharness build` holds builds/ too.
      const runEnv = { ...(await envOf(roots.killed)), KHARNESS_RESULTS: path.join(await roots.killed, "run-results") };
      await fs.mkdir(runEnv.KHARNESS_RESULTS, { recursive: true });
      const run = kharness(
        ["run", "memcg-hotplug-lockdep", "--variant", "before", "--max-runs", "1", "--accel", "tcg"],
        runEnv,
      );
      await run.waitFor(/\[build /, 10 * 60_000);
      const runLog = path.join(
        await runDirIn(runEnv.KHARNESS_RESULTS),
        "builds",
        "memcg-hotplug-lockdep-linux-6.1-x86_64-before.log",
      );
      await logShows(runLog, compiled(30));
      const supervisor = makeGroup(run.proc.pid!);
      const group = processesOf(run.proc.pid!);
      expect(group.length).toBeGreaterThan(2); // the supervisor, make, its sub-makes and compilers
      const make = (await execa("pgrep", ["-P", String(supervisor.pid), "-x", "make"])).stdout.trim();
      process.kill(Number(make), "SIGKILL");
      const r = await run.proc;
      expect(r.exitCode, run.output()).toBe(2);
      expect(run.output()).toMatch(
        /host error: the host stopped the kernel build of .*: make was killed by signal 9 from outside kharness/,
      );
      const record = await readJson(path.join(await runDirIn(runEnv.KHARNESS_RESULTS), "run.json"));
      expect(record.status).toBe("failed");
      expect(record.builds).toEqual({});
      expect(record.cells.map((c: { status: string }) => c.status)).toEqual(["pending"]);
      // The sub-makes and compilers of the killed make do not go on writing into the build directory.
      expect(stillRunning(group)).toEqual([]);

      // 3 and 4. Power cuts: once more objects are compiled, and during the link.
      await cutAt(roots.killed, compiled(60));
      await cutAt(roots.killed, linking);
      const cutsMs = Date.now() - t0;

      const rebuilt = await build(roots.killed);
      const rebuiltResult = await rebuilt.proc;
      expect(rebuiltResult.exitCode, rebuilt.output()).toBe(0);
      expect(rebuilt.output()).toMatch(/was left by a build that did not end .*; removed the \d+ file\(s\) it wrote/);
      const rebuiltImage = rebuiltResult.stdout.trim().split("\n").pop()!;

      const t1 = Date.now();
      const clean = await build(roots.clean);
      const cleanResult = await clean.proc;
      expect(cleanResult.exitCode, clean.output()).toBe(0);
      const cleanImage = cleanResult.stdout.trim().split("\n").pop()!;
      const [a, b] = [await sha256File(rebuiltImage), await sha256File(cleanImage)];
      console.log(
        `kill-and-rebuild: ${a} after 4 kills (${((t1 - t0) / 1000).toFixed(0)} s, ` +
          `kills ${(cutsMs / 1000).toFixed(0)} s); ` +
          `clean ${b} in ${((Date.now() - t1) / 1000).toFixed(0)} s`,
      );
      expect(path.dirname(rebuiltImage)).not.toBe(path.dirname(cleanImage));
      expect(a).toBe(b);
    },
    60 * 60_000,
  );
});
