import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../harness/commands/run.js";
import { silentProgress } from "../../harness/core/progress.js";
import { loadMatrix, type LoadedMatrix } from "../../harness/matrix/load.js";
import { planMatrixRun } from "../../harness/pipeline/matrixPlan.js";
import { replayedForced } from "../../harness/pipeline/resume.js";
import { RUN_FILE_NAME, type RunFile } from "../../harness/records/run.js";
import { recordedRun } from "../support/recordedRun.js";
import { fakeVm } from "../fakes/fakeVm.js";

const vm = fakeVm([{ boot: "infra", reason: "never booted: planning only" }]);
let results: string;
let nightly: LoadedMatrix;

/** The record a run left in results/<id>/, interrupted unless told otherwise. */
async function leave(run: RunFile, status: RunFile["status"] = "interrupted"): Promise<string> {
  const dir = path.join(results, run.id);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, RUN_FILE_NAME[run.kind]), JSON.stringify({ ...run, status }));
  return run.id;
}

beforeAll(async () => {
  results = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-resume-"));
  process.env.KHARNESS_RESULTS = results;
  nightly = await loadMatrix("scenarios/nightly.yaml");
});
afterAll(async () => {
  delete process.env.KHARNESS_RESULTS;
  await fs.rm(results, { recursive: true, force: true });
});

describe("matrix --resume replays the recorded request", () => {
  it("shard 1/3 resumed the way the hint says (no --shard) keeps its 12 cells, not the matrix's 36", async () => {
    const first = await planMatrixRun(nightly, { shard: { index: 1, count: 3 }, runId: "nightly-s1" }, vm);
    expect(first.cells).toHaveLength(12);
    const resumed = await planMatrixRun(nightly, { resume: await leave(first) }, vm);
    expect(resumed.cells.map((c) => c.id)).toEqual(first.cells.map((c) => c.id));
    expect(resumed.shard).toEqual(first.shard);
  });

  it("another --shard than the record's is an input error naming both", async () => {
    const first = await planMatrixRun(nightly, { shard: { index: 1, count: 3 }, runId: "nightly-s1b" }, vm);
    const id = await leave(first);
    const other = planMatrixRun(nightly, { resume: id, shard: { index: 2, count: 3 } }, vm);
    await expect(other).rejects.toThrow(/--shard 2\/3: run nightly-s1b is shard 1\/3/);
  });

  it("a changed matrix file or a completed run is refused", async () => {
    const first = await planMatrixRun(nightly, { runId: "nightly-whole" }, vm);
    const id = await leave(first);
    const changed = { ...nightly, text: `${nightly.text}\nmaxRuns: 3\n` };
    const resumed = planMatrixRun(changed, { resume: id }, vm);
    await expect(resumed).rejects.toThrow(/nightly\.yaml changed since run nightly-whole/);
    await leave(first, "completed");
    await expect(planMatrixRun(nightly, { resume: id }, vm)).rejects.toThrow(/matrix nightly-whole already completed/);
  });
});

describe("what a session forced (--accel, --jobs) is replayed by a resume that forces nothing", () => {
  it("replays the first session's, and takes the resuming session's own where it forces one", async () => {
    const first = await planMatrixRun(nightly, { runId: "nightly-forced" }, vm);
    expect(replayedForced(first, { accel: "tcg", jobs: 2 })).toEqual({ accel: "tcg", jobs: 2 });
    const prior = { ...first, forced: { accel: "tcg" as const, jobs: 2 } };
    expect(replayedForced(prior, {})).toEqual({ accel: "tcg", jobs: 2 });
    // A resume on a host with KVM may force it: its runs record the accelerator they used (accels).
    expect(replayedForced(prior, { accel: "kvm" })).toEqual({ accel: "kvm", jobs: 2 });
    expect(replayedForced(first, {})).toEqual({});
  });
});

describe("run --resume", () => {
  it("refuses a scenario that changed since the run started, before any check or build", async () => {
    const dir = path.join(results, "memcg-changed");
    const run = await recordedRun(dir);
    const request = { scenario: "memcg-hotplug-lockdep" };
    await leave({ ...run, request, input: { ...run.input, sha256: "an older scenario" } });
    const resumed = runCommand({ scenario: "", resume: "memcg-changed" }, silentProgress);
    await expect(resumed).rejects.toThrow(/scenario\.yaml changed since run memcg-changed started/);
  }, 60_000);
});
