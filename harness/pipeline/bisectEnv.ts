import path from "node:path";
import { BuildFailure } from "../build/build.js";
import { sha256File } from "../core/hash.js";
import type { Progress } from "../core/progress.js";
import type { BisectEnv } from "../bisect/bisect.js";
import type { BisectRepo } from "../bisect/repo.js";
import type { BisectFile } from "../records/bisect.js";
import type { LoadedScenario } from "../scenario/load.js";
import type { SourceTree } from "../source/source.js";
import { booted, signaturesOfRun } from "../verdict/verdict.js";
import type { VmImplementation } from "../vm/types.js";
import { prepareGuest, type Guest } from "./guest.js";
import { runIteration } from "./iteration.js";
import { buildPrepared, configureTree, NO_PATCHES } from "./kernel.js";
import { signatureRecordsOf } from "../verdict/signatures.js";

/**
 * The bisection's world, made of the same stages as a run: a kernel of the commit checked
 * out in the bisection's work tree (config -> build, no patches), and fresh iterations of it.
 */
export function bisectEnv(
  c: { loaded: LoadedScenario; repo: BisectRepo; dir: string; record: BisectFile; vm: VmImplementation },
  progress: Progress,
): BisectEnv {
  const tree = (content: string, hash: string): SourceTree => ({
    id: c.repo.id,
    dir: c.repo.workTree,
    content,
    sourceHash: hash,
  });
  let guest: Guest | undefined;
  return {
    async build(commit, label) {
      const started = Date.now();
      try {
        // The bisection holds the tree's lock throughout, and checks out each commit with no series.
        const prepared = await configureTree(
          c.loaded,
          label,
          tree(`git:${commit.tree}`, commit.hash),
          NO_PATCHES,
          progress,
        );
        const k = await buildPrepared(prepared, path.join(c.dir, "builds", `${label}.log`), progress);
        c.record.timings.buildMs += Date.now() - started;
        return {
          ok: true,
          imageHash: await sha256File(k.image.bzImage),
          bzImage: k.image.bzImage,
          cached: k.image.cached,
          buildMs: k.image.durationMs,
        };
      } catch (err) {
        if (!(err instanceof BuildFailure)) throw err;
        return { ok: false, reason: err.message.split("\n")[0]!, buildMs: Date.now() - started };
      }
    },
    async test(build, label, n) {
      guest ??= await prepareGuest(c.dir, c.loaded.arch, build.bzImage, c.vm, progress, c.record.options.accel);
      const { scenario, arch } = c.loaded;
      const out = await runIteration(
        { scenario, arch, label, iteration: n, bzImage: build.bzImage, guest, runDir: c.dir, vm: c.vm },
        progress,
      );
      const r = out.record;
      c.record.timings.bootMs += r.bootMs;
      c.record.timings.workloadMs += r.workloadMs;
      const found = signatureRecordsOf(r.status, out.groups);
      const timings = { bootMs: r.bootMs, workloadMs: r.workloadMs };
      return { status: r.status, signatures: signaturesOfRun(r), booted: booted(r), ...timings, found };
    },
  };
}
