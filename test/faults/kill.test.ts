import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kharness, leftovers, processesOf, readJson, runDirIn, scratch, sleep, stillRunning } from "./support.js";

const root = scratch("kill");
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

const baselineRun = async (env: Record<string, string> = {}) => {
  const results = await fs.mkdtemp(path.join(await root, "results-"));
  return {
    results,
    run: kharness(["run", "memcg-hotplug-lockdep", "--variant", "before", "--max-runs", "1", "--accel", "tcg"], {
      ...env,
      KHARNESS_RESULTS: results,
    }),
  };
};

/**
 * SIGKILL the pid that bin/kharness got, once `stage` shows: 5 s later nothing that the
 * run had running (its recorded children, their process groups) may still run.
 */
async function killAt(stage: RegExp) {
  const { run } = await baselineRun();
  await run.waitFor(stage, 15 * 60_000);
  await sleep(1500);
  const running = processesOf(run.proc.pid!);
  run.proc.kill("SIGKILL");
  expect((await run.proc).signal).toBe("SIGKILL");
  await sleep(5000);
  return { running, left: stillRunning(running) };
}

describe("kharness SIGKILLed (OOM, a CI runner's hard kill, kill -9)", () => {
  it(
    "during boot and during the workload: its QEMU dies with it (parent-death signal), checked by recorded pid",
    async () => {
      for (const stage of [/\[boot before #1/, /\[workload before #1\] started/]) {
        const { running, left } = await killAt(stage);
        expect(
          running.map((p) => p.cmdline[0]),
          `${stage}`,
        ).toContain("qemu-system-x86_64");
        expect(left, `${stage}: still running 5 s after the kill`).toEqual([]);
      }
    },
    20 * 60_000,
  );

  it(
    "SIGHUP (a closed terminal) during the workload is an interrupt: " +
      "exit 129, the record says so, the reports are written",
    async () => {
      const { results, run } = await baselineRun();
      await run.waitFor(/\[workload before #1\] started/, 15 * 60_000);
      await sleep(1500);
      const running = processesOf(run.proc.pid!);
      run.proc.kill("SIGHUP");
      const result = await run.proc;
      expect(result.exitCode, run.output()).toBe(129);
      expect(run.output()).toMatch(/interrupted by SIGHUP/);
      const dir = await runDirIn(results);
      const record = await readJson(path.join(dir, "run.json"));
      expect(record.status).toBe("interrupted");
      expect(record.error).toContain("SIGHUP");
      expect((await fs.stat(path.join(dir, "report.md"))).size).toBeGreaterThan(0);
      expect(stillRunning(running)).toEqual([]);
      expect(await leftovers(await root)).toEqual([]);
    },
    20 * 60_000,
  );

  it(
    "leftovers of a dead kharness whose children outlived it (no parent-death signal) " +
      "are ended by the next kharness, which says so",
    async () => {
      // A setpriv that drops the parent-death signal: the QEMU of a killed kharness lives on, as it did
      // before this was fixed.
      const bin = await fs.mkdtemp(path.join(await root, "bin-"));
      await fs.writeFile(
        path.join(bin, "setpriv"),
        '#!/bin/sh\n# setpriv --pdeathsig SIG -- CMD...: run CMD without it\nshift 3\nexec "$@"\n',
        { mode: 0o755 },
      );
      const { run } = await baselineRun({ PATH: `${bin}:${process.env.PATH}` });
      await run.waitFor(/\[workload before #1\] started/, 15 * 60_000);
      const running = processesOf(run.proc.pid!);
      const deadPid = run.proc.pid!;
      run.proc.kill("SIGKILL");
      await run.proc;
      await sleep(2000);
      const orphans = stillRunning(running);
      expect(orphans.map((p) => p.cmdline[0])).toContain("qemu-system-x86_64");
      const next = kharness(["run", "memcg-hotplug-lockdep", "--dry-run"], {});
      expect((await next.proc).exitCode, next.output()).toBe(0);
      expect(next.output()).toMatch(
        new RegExp(
          `ended ${orphans.length} leftover process\\(es\\) of a dead kharness ` +
            `\\(pid ${deadPid}: .*run memcg-hotplug-lockdep.*\\): \\d+ qemu-system-x86_64`,
        ),
      );
      await sleep(500);
      expect(stillRunning(orphans)).toEqual([]);
    },
    20 * 60_000,
  );
});
