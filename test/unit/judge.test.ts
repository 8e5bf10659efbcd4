import { describe, expect, it } from "vitest";
import type { RunFile } from "../../harness/records/run.js";
import { reportModel } from "../../harness/report/model.js";
import { summaryLines } from "../../harness/report/summary.js";
import { renderReport } from "../../harness/report/write.js";
import { judgeGroups, exitCodeOf, resultsOfRun } from "../../harness/verdict/groups.js";
import { sampleRun } from "../support/sampleMatrix.js";

/**
 * The sample matrix gone wrong three ways. On 6.1 the baseline is expected CLEAN (it
 * reproduces) and the reorder fix FIXED (it is NOT FIXED). On 6.12 the baseline's kernel and
 * the drop-lock fix's did not build; the reorder fix's did, and with no baseline to judge it
 * against it is expected NOT REPRODUCED.
 */
function wrongRun(): RunFile {
  const run = sampleRun();
  const unbuilt = new Set(["before", "fix-drop-lock"]);
  for (const c of run.cells.filter((x) => x.kernel === "linux-6.12")) {
    const failed = { status: "failed", reason: "build failed: mm/memcontrol.c:2: error", runs: [] };
    if (unbuilt.has(c.variant)) Object.assign(c, failed);
    else Object.assign(c, { stopped: "the baseline's kernel did not build", runs: [] });
  }
  run.expect = {
    "memcg/linux-6.1/x86_64": { before: "CLEAN", "fix-reorder": "FIXED", "fix-drop-lock": "FIXED" },
    "memcg/linux-6.12/x86_64": { "fix-reorder": "NOT REPRODUCED", "fix-drop-lock": "FIXED" },
  };
  return run;
}

/** The cells each format says did not get what was expected. */
function failedCells(run: RunFile): Record<string, string[]> {
  const model = reportModel(run);
  const junit = renderReport(model, "junit");
  const testcases = [...junit.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"[\s\S]*?<\/testcase>/g)];
  const html = renderReport(model, "html");
  const md = renderReport(model, "md").split("\n");
  const cols = md
    .find((l) => l.startsWith("| scenario |"))!
    .split("|")
    .slice(6, -1)
    .map((s) => s.trim());
  const mdFailed = md
    .filter((l) => /^\| memcg \|/.test(l))
    .flatMap((l) => {
      const [scenario, kernel, arch, cpus, hotplug, ...cells] = l
        .split("|")
        .slice(1, -1)
        .map((s) => s.trim());
      const group = `${scenario}/${kernel}/${arch}/cpus${cpus}/hotplug-${hotplug}`;
      return cells.flatMap((text, i) => (text.includes("✗") ? [`${group}/${cols[i]}`] : []));
    });
  const kcidb = JSON.parse(renderReport(model, "kcidb")) as { tests: { id: string; status: string }[] };
  const json = JSON.parse(renderReport(model, "json")) as { groups: { results: { cell: string; ok: boolean }[] }[] };
  const terminal = summaryLines(run, "results/x").flatMap((l) => /^(\S+): expected /.exec(l)?.[1] ?? []);
  const sorted = (ids: string[]) => [...ids].sort();
  return {
    judge: sorted(
      resultsOfRun(judgeGroups(run))
        .filter((r) => !r.ok)
        .map((r) => r.cell.id),
    ),
    junit: sorted(testcases.filter((m) => /<(failure|error) /.test(m[0])).map((m) => `${m[1]}/${m[2]}`)),
    html: sorted([...html.matchAll(/data-cell="([^"]+)" data-verdict="[^"]+" data-ok="false"/g)].map((m) => m[1]!)),
    markdown: sorted(mdFailed),
    kcidb: sorted(kcidb.tests.filter((t) => t.status !== "PASS").map((t) => t.id.replace(/^kharness:test:/, ""))),
    json: sorted(json.groups.flatMap((g) => g.results.filter((r) => !r.ok).map((r) => r.cell))),
    terminal: sorted(terminal),
  };
}

describe("one judge: the exit code, the terminal summary and every report agree on each cell", () => {
  it("baseline and fix not as expected, kernels that did not build: exit 1, the same cells failed everywhere", () => {
    const run = wrongRun();
    const ids = run.cells.map((c) => c.id);
    const want = ids.filter((id) => !/linux-6\.1\/.*fix-drop-lock$|linux-6\.12\/.*fix-reorder$/.test(id)).sort();
    expect(want).toHaveLength(16);
    const failed = failedCells(run);
    for (const [format, cells] of Object.entries(failed)) expect(cells, format).toEqual(want);
    expect(exitCodeOf(run)).toBe(1);
  });

  it("the baseline's expectation alone reaches the exit code", () => {
    const run = sampleRun();
    expect(exitCodeOf(run)).toBe(0);
    run.expect["memcg/linux-6.1/x86_64"] = { ...run.expect["memcg/linux-6.1/x86_64"], before: "CLEAN" };
    expect(exitCodeOf(run)).toBe(1);
    expect(failedCells(run).junit).toHaveLength(4);
  });

  it("a kernel that did not build is BROKEN; its group's fixes get no verdict without a baseline", () => {
    const groups = judgeGroups(wrongRun()).filter((g) => g.kernel === "linux-6.12");
    for (const g of groups) {
      const got = Object.fromEntries(g.results.map((r) => [r.cell.variant, r.got]));
      expect(got).toEqual({ before: "BROKEN", "fix-reorder": "NOT REPRODUCED", "fix-drop-lock": "BROKEN" });
      const reorder = g.verdicts.find((v) => v.fix === "fix-reorder")!;
      expect(reorder.reason).toBe("the baseline's kernel did not build: no verdict against it");
      expect(g.verdicts.find((v) => v.fix === "fix-drop-lock")!.reason).toBe("build failed: mm/memcontrol.c:2: error");
    }
  });

  it("a kernel expected BROKEN that did not build is as expected", () => {
    const run = sampleRun();
    const dropLock = run.cells.filter((x) => x.variant === "fix-drop-lock");
    for (const c of dropLock) Object.assign(c, { status: "failed", reason: "build failed", runs: [] });
    expect(exitCodeOf(run)).toBe(1);
    for (const k of Object.keys(run.expect)) run.expect[k] = { ...run.expect[k], "fix-drop-lock": "BROKEN" };
    expect(exitCodeOf(run)).toBe(0);
  });

  it("a baseline none of whose runs booted is INCONCLUSIVE, not CLEAN: boot and host failures show nothing", () => {
    const run = sampleRun();
    const key = "memcg/linux-6.1/x86_64";
    run.expect[key] = { ...run.expect[key], before: "CLEAN" };
    const baselines = run.cells.filter((c) => c.kernel === "linux-6.1" && c.variant === "before");
    for (const c of baselines) {
      const failedBoot = (i: number, status: "boot-failure" | "infra") => ({
        ...c.runs[0]!,
        iteration: i,
        status,
        splats: [],
      });
      c.runs = [failedBoot(1, "boot-failure"), failedBoot(2, "infra")].map(({ primary: _p, ...r }) => r);
    }
    const got = resultsOfRun(judgeGroups(run)).filter((r) => baselines.includes(r.cell));
    expect(got.map((r) => [r.got, r.ok])).toEqual(Array(4).fill(["INCONCLUSIVE", false]));
    expect(exitCodeOf(run)).toBe(1);
    // One booted clean run is evidence: CLEAN, as expected.
    for (const c of baselines) c.runs.push({ ...c.runs[0]!, iteration: 3, status: "completed" });
    expect(
      resultsOfRun(judgeGroups(run))
        .filter((r) => baselines.includes(r.cell))
        .every((r) => r.got === "CLEAN"),
    ).toBe(true);
  });
});
