import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kharness, leftovers, readJson, scratch } from "./support.js";

const root = scratch("concurrent");
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

describe("two runs and a matrix on one cache at once", () => {
  // That the tree is patched by one process at a time is the lock's guarantee, tested with
  // a second real process in test/unit/lock.test.ts; here: three real jobs all come out right.
  it(
    "all finish with the right verdicts",
    async () => {
      const results = await fs.mkdtemp(path.join(await root, "results-"));
      const matrix = path.join(await root, "small.yaml");
      // The reorder fix is decided by the first run that shows the worker's sleep. Alone, that is
      // its first run (7 s in); with three guests on two cores it can come after the 10 s trial
      // window, and that run is then a clean trial (CI saw 1 of 2). maxRuns 4 leaves room for it.
      await fs.writeFile(
        matrix,
        "name: small\nscenarios: [memcg-hotplug-lockdep]\n" +
          "kernels: [linux-6.1]\nvariants: [fix-reorder]\n" +
          "cpus: [2]\nhotplug: [on]\nmaxRuns: 4\n",
      );
      const args = ["--variant", "fix-reorder", "--max-runs", "4", "--accel", "tcg"];
      const jobs = [
        kharness(["run", "memcg-hotplug-lockdep", ...args, "--run-id", "concurrent-a"], { KHARNESS_RESULTS: results }),
        kharness(["run", "memcg-hotplug-lockdep", ...args, "--run-id", "concurrent-b"], { KHARNESS_RESULTS: results }),
        kharness(["matrix", matrix, "--jobs", "1", "--accel", "tcg", "--run-id", "concurrent-m"], {
          KHARNESS_RESULTS: results,
        }),
      ];
      const exits = await Promise.all(jobs.map((j) => j.proc));
      for (const [i, e] of exits.entries()) expect(e.exitCode, jobs[i]!.output()).toBe(0);
      for (const [id, file] of [
        ["concurrent-a", "run.json"],
        ["concurrent-b", "run.json"],
        ["concurrent-m", "matrix.json"],
      ]) {
        const record = await readJson(path.join(results, id!, file!));
        expect(record.status).toBe("completed");
        const reorder = record.cells.find((c: { variant: string }) => c.variant === "fix-reorder");
        expect(reorder.stopped).toMatch(
          /^NOT FIXED: a baseline bug in 1 of [1-3] fix run\(s\): atomic-sleep:mem_cgroup_wb_stats: .* \(via wb_over_bg_thresh <- wb_writeback <- wb_workfn\)$/,
        );
      }
      expect(await leftovers(results)).toEqual([]);
    },
    30 * 60_000,
  );
});
