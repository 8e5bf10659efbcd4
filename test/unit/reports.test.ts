import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";
import { KCIDB_ORIGIN, kcidbReport } from "../../harness/report/formats/kcidb.js";
import { reportModel } from "../../harness/report/model.js";
import { renderReport } from "../../harness/report/write.js";
import { CASCADE_POINTER, splitBugs } from "../../harness/report/formats/common.js";
import { statsTable } from "../../harness/report/summary.js";
import type { RunFile } from "../../harness/records/run.js";
import { judgeGroups } from "../../harness/verdict/groups.js";
import { recordedRun } from "../support/recordedRun.js";
import { sampleRun, withBuilds } from "../support/sampleMatrix.js";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * Required properties per object type in the KCIDB I/O schema v5 (kcidb-io,
 * kcidb_io/schema): what a submission must carry to be accepted.
 */
const KCIDB_V5_REQUIRED: Record<string, string[]> = {
  checkouts: ["id", "origin"],
  builds: ["id", "origin", "checkout_id"],
  tests: ["id", "origin", "build_id"],
  issues: ["id", "version", "origin"],
  incidents: ["id", "origin", "issue_id", "issue_version"],
};
const KCIDB_STATUS = ["FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"];

describe("reports", () => {
  const run = sampleRun();
  const model = reportModel(run);

  it("Markdown: the verdict table, the confidence of each verdict, bugs and unique splats per variant, timings", () => {
    const md = renderReport(model, "md");
    expect(md).toContain("| scenario | kernel | arch | vCPUs | hotplug | before | fix-reorder | fix-drop-lock |");
    expect(md).toContain("| memcg | linux-6.12 | x86_64 | 4 | off | REPRODUCES 5/5 | NOT FIXED 1/1 | FIXED 0/4 |");
    expect(md).toContain(
      "- memcg linux-6.12 x86_64 4 vCPUs hotplug off, fix-drop-lock: **FIXED**; " +
        "baseline 4/4 booted runs reproduced: rate >= 0.47 at 95%; " +
        "fix 0/4 booted runs with a baseline bug: rate <= 0.53 at 95%; " +
        "FIXED test p = 0.014 <= calibrated level 0.083",
    );
    expect(md).toContain(
      "| BUG: scheduling while atomic in mem_cgroup_wb_stats " +
        "| mem_cgroup_wb_stats | 0 | 40/40 | 8/8 (first 8) | 0/32 |",
    );
    expect(md).toContain(
      "| WARNING: suspicious RCU usage in mem_cgroup_wb_stats " +
        "| mem_cgroup_wb_stats | 1 | 40/40 (first 40) | 0/8 | 0/32 |",
    );
    expect(md).toContain(
      "| WARNING: suspicious RCU usage in mem_cgroup_wb_stats (via balance_dirty_pages) | 40/40 | 0/8 | 0/32 |",
    );
    expect(md).toContain("- build: 600.0 s");
    expect(
      md
        .split("\n")
        .filter((l) => l.startsWith("| memcg"))
        .join("\n"),
    ).not.toContain("✗");
  });

  it("JUnit: a test case per cell; a verdict other than expected fails with the splat titles", () => {
    const xml = renderReport(model, "junit");
    expect(xml.match(/<testcase /g)).toHaveLength(24);
    expect(xml.match(/<testsuite /g)).toHaveLength(8);
    expect(xml).toContain('tests="24" failures="0" errors="0"');
    // Expectations are per kernel: only 6.12's four fix-reorder cells now differ.
    const wrong = renderReport(
      reportModel({ ...run, expect: { ...run.expect, "memcg/linux-6.12/x86_64": { "fix-reorder": "FIXED" } } }),
      "junit",
    );
    expect(wrong).toContain('failures="4"');
    expect(wrong).toContain(
      '<failure message="expected FIXED, got NOT FIXED: ' +
        'BUG: scheduling while atomic in mem_cgroup_wb_stats (via wb_over_bg_thresh)" type="verdict">',
    );
    expect(wrong).toMatch(
      /<property name="evidence" value="fix 1\/1 booted runs with a baseline bug: rate &lt;= 1.00 at 95%"\/>/,
    );
    expect(wrong).toContain(
      '<property name="iteration.1" value="completed; 1 signature(s); iterations/fix-reorder-1/console.log"/>',
    );
  });

  it("HTML and JUnit: INCONCLUSIVE has a colour, and fails unless expected", () => {
    const short = {
      ...run,
      cells: run.cells.map((c) => (c.variant === "fix-drop-lock" ? { ...c, runs: c.runs.slice(0, 2) } : c)),
    };
    const html = renderReport(reportModel(short), "html");
    expect(html).toMatch(/data-verdict="INCONCLUSIVE" data-ok="false" style="background:#ef6c00"/);
    expect(html).toContain("FIXED test p = 0.17 &gt; calibrated level 0.083: 2 more clean run(s) needed");
    expect(renderReport(reportModel(short), "junit")).toContain('failures="8"');
    const expected = {
      ...short,
      expect: Object.fromEntries(
        Object.keys(run.expect).map((k) => [k, { ...run.expect[k], "fix-drop-lock": "INCONCLUSIVE" }]),
      ),
    };
    expect(renderReport(reportModel(expected), "junit")).toContain('failures="0"');
  });

  it(
    "KCIDB v5: every object has the schema's required fields; " +
      "signatures are issues with present incidents per cell",
    () => {
      const failed = run.cells.find((c) => c.variant === "fix-reorder")!.build;
      const k = kcidbReport(reportModel(withBuilds(run, failed)));
      expect(k.version.major).toBe(5);
      // Two kernels, three variants: six builds (one failed) of two checkouts per kernel and variant.
      expect(k.builds).toHaveLength(6);
      expect(k.builds.filter((b) => b.status === "FAIL")).toHaveLength(1);
      expect(k.checkouts).toHaveLength(6);
      for (const [type, required] of Object.entries(KCIDB_V5_REQUIRED)) {
        const objects = k[type as keyof typeof KCIDB_V5_REQUIRED & keyof typeof k] as Record<string, unknown>[];
        expect(objects.length, type).toBeGreaterThan(0);
        for (const o of objects) {
          for (const field of required) expect(o[field], `${type}.${field}`).toBeDefined();
          expect(o.origin).toBe(KCIDB_ORIGIN);
          expect(String(o.id)).toMatch(/^kharness:/);
        }
      }
      expect(k.tests).toHaveLength(24);
      for (const t of k.tests) expect(KCIDB_STATUS).toContain(t.status);
      expect(k.issues.map((i) => i.comment).sort()).toEqual([
        "BUG: scheduling while atomic in mem_cgroup_wb_stats",
        "WARNING: suspicious RCU usage in mem_cgroup_wb_stats",
      ]);
      const rcu = k.incidents.filter((i) => i.issue_id === "kharness:issue:rcu");
      expect(rcu).toHaveLength(24);
      expect(rcu.filter((i) => i.present).map((i) => String(i.test_id).split("/").at(-1))).toEqual(
        Array(8).fill("before"),
      );
      expect(k.tests.find((t) => String(t.id).endsWith("/fix-drop-lock"))!.misc).toMatchObject({
        verdict: "FIXED",
        baseline_reproduced: "4/4",
        clean_runs: 4,
        test: "FIXED",
        p_value: expect.closeTo(1 / 70, 12),
        calibrated_level: expect.closeTo(1 / 12, 12),
      });
    },
  );

  it("KCIDB: a checkout's patchset_files point at the patch files the build used", () => {
    const withBuild = {
      ...run,
      builds: {
        "memcg/linux-6.12/x86_64/before": {
          variant: "before",
          scenario: "memcg",
          kernel: "linux-6.12",
          arch: "x86_64" as const,
          toolchain: "gcc 12",
          status: "built" as const,
          sourceId: "linux-6.12-x",
          sourceHash: "abc",
          source: "/usr/src/linux-source-6.12.tar.xz",
          patchWarnings: [],
          configSha256: "c",
          imageKey: "i",
          cached: false,
          buildMs: 1,
          compiledObjects: 1,
          buildLog: "builds/b.log",
          command: "make",
          patches: [
            {
              name: "0001-bug.patch",
              sha256: "p",
              path: "scenarios/memcg-hotplug-lockdep/patches/linux-6.12/0001-bug.patch",
            },
          ],
        },
      },
    };
    const [checkout] = kcidbReport(reportModel(withBuild)).checkouts;
    expect(checkout!.patchset_files).toEqual([
      {
        name: "0001-bug.patch",
        url: `file://${projectRoot}/scenarios/memcg-hotplug-lockdep/patches/linux-6.12/0001-bug.patch`,
      },
    ]);
  });

  it("JSON: the run as recorded plus its judged groups", () => {
    const json = JSON.parse(renderReport(model, "json")) as {
      schema: string;
      cells: unknown[];
      groups: { verdicts: { verdict: string }[] }[];
    };
    expect(json.schema).toBe("kharness.run/3");
    expect(json.cells).toHaveLength(24);
    expect(json.groups[0]!.verdicts.map((v) => v.verdict)).toEqual(["NOT FIXED", "FIXED"]);
  });
});

describe(
  "reports lead with the bugs that were some run's first report " + "(the README's run, from its recorded consoles)",
  () => {
    let run: RunFile;
    let first: string[];
    let cascade: string[];
    beforeAll(async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-reports-"));
      run = await recordedRun(path.join(dir, "run"));
      await fs.rm(dir, { recursive: true, force: true });
      const bugs = splitBugs(judgeGroups(run)[0]!.bugs);
      [first, cascade] = [bugs.first.map((b) => b.title), bugs.cascade.map((b) => b.title)];
    }, 60_000);

    it("the recorded run has both: two first reports, and a cascade of many more", () => {
      expect(first).toEqual([
        "WARNING: suspicious RCU usage in mem_cgroup_wb_stats",
        "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats",
      ]);
      expect(cascade.length).toBeGreaterThan(10);
    });

    it("terminal and Markdown: the first reports in full, the cascade as a count with a pointer", () => {
      const terminal = statsTable(judgeGroups(run)[0]!);
      const md = renderReport(reportModel(run), "md");
      for (const text of [terminal, md]) {
        for (const t of first) expect(text).toContain(t);
        for (const t of cascade) expect(text).not.toContain(t);
        expect(text).toContain(`${cascade.length}`);
        expect(text).toContain(CASCADE_POINTER);
      }
    });

    it("HTML: the first reports' table, then the cascade in a collapsed section", () => {
      const html = renderReport(reportModel(run), "html");
      const [lead, folded] = html.split('<details id="cascade">');
      for (const t of first) expect(lead).toContain(esc(t));
      for (const t of cascade) expect(lead).not.toContain(`<td>${esc(t)}</td>`);
      for (const t of cascade) expect(folded).toContain(`<td>${esc(t)}</td>`);
      expect(folded).toMatch(new RegExp(`^<summary>${cascade.length} more bug\\(s\\)`));
    });
  },
);

describe("the accelerator of each arch", () => {
  it("a two-arch matrix names each arch's, and KCIDB gives each cell its own arch's", () => {
    const run = sampleRun();
    const tcg = { accel: "tcg" as const, reason: "an arm64 guest on a x64 host", probedAt: "", hostKey: "h" };
    run.accels = { x86_64: { ...tcg, accel: "kvm", reason: "probe" }, arm64: tcg };
    const arm = run.cells.filter((c) => c.kernel === "linux-6.12");
    for (const c of arm) c.arch = "arm64";
    const model = reportModel(run);
    expect(renderReport(model, "md")).toContain("accelerator x86_64 kvm, arm64 tcg");
    const tests = (
      JSON.parse(renderReport(model, "kcidb")) as { tests: { id: string; environment: { comment: string } }[] }
    ).tests;
    const qemuOf = (c: { id: string }) => tests.find((t) => t.id.endsWith(c.id))!.environment.comment.split(",")[0];
    expect(new Set(arm.map(qemuOf))).toEqual(new Set(["QEMU tcg"]));
    expect(new Set(run.cells.filter((c) => c.arch === "x86_64").map(qemuOf))).toEqual(new Set(["QEMU kvm"]));
  });
});
