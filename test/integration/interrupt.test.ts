import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// SIGTERM once the run's QEMU runs (booting, or restored and in the workload): QEMU dies with the harness,
// run.json says so, the reports are written.
describe("an interrupted run", () => {
  it("kills its QEMU and marks run.json interrupted", { timeout: 45 * 60_000 }, async () => {
    const results = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-interrupt-"));
    const child = execa(
      path.join(projectRoot, "bin/kharness"),
      ["run", "memcg-hotplug-lockdep", "--max-runs", "1", "--variant", "before"],
      {
        env: { KHARNESS_RESULTS: results },
        reject: false,
        all: true,
      },
    );
    const runDir = await waitFor("the run directory", async () => (await fs.readdir(results))[0], 60_000);
    const consoleLog = path.join(results, runDir, "iterations", "before-1", "console.log");
    const qemuOf = async () => (await execa("pgrep", ["-f", consoleLog], { reject: false })).stdout.trim();
    // Cold, this includes the kernel build. A restored guest's console (the snapshot's) is there before its QEMU is.
    await waitFor("the run's QEMU", async () => ((await qemuOf()) ? true : undefined), 40 * 60_000);

    child.kill("SIGTERM");
    const result = await child;
    expect(result.exitCode).toBe(143); // 128 + SIGTERM
    const run = JSON.parse(await fs.readFile(path.join(results, runDir, "run.json"), "utf8"));
    expect(run.status).toBe("interrupted");
    expect(run.error).toMatch(/SIGTERM/);
    expect(await qemuOf()).toBe("");
    // The reports of what finished are written, and the cut-short run is not kept as evidence.
    expect((await fs.stat(path.join(results, runDir, "report.md"))).size).toBeGreaterThan(0);
    expect(run.cells[0].runs).toEqual([]);
    expect(result.stderr).toMatch(/interrupted/);
    await fs.rm(results, { recursive: true, force: true });
  });
});
