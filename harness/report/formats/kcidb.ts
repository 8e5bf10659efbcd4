import { createHash } from "node:crypto";
import path from "node:path";
import { ARCHES } from "../../core/arch.js";
import { projectRoot } from "../../core/paths.js";
import type { ReportModel } from "../model.js";
import type { Verdict } from "../../verdict/verdict.js";
import { cellSeconds, cellView, didNotRun, type CellView } from "./common.js";

export const KCIDB_ORIGIN = "kharness";

/** KCIDB I/O schema v5 objects (only the fields kharness fills). */
export interface KcidbData {
  version: { major: 5; minor: number };
  checkouts: Record<string, unknown>[];
  builds: Record<string, unknown>[];
  tests: Record<string, unknown>[];
  issues: Record<string, unknown>[];
  incidents: Record<string, unknown>[];
}

const id = (...parts: string[]) => `${KCIDB_ORIGIN}:${parts.join(":")}`;

/**
 * KCIDB v5: a checkout per kernel source + patch series (patchset_hash, patchset_files), a
 * build per kernel image (config and log), a test per cell (status, log excerpt), and each
 * splat signature as an issue, with an incident per cell saying whether it was present.
 */
/** A checkout per kernel source + patch series, and a build per kernel image. */
function checkoutsAndBuilds(run: ReportModel["run"]): {
  checkouts: Record<string, unknown>[];
  builds: Record<string, unknown>[];
} {
  const checkouts = new Map<string, Record<string, unknown>>();
  const builds: Record<string, unknown>[] = [];
  for (const [key, b] of Object.entries(run.builds)) {
    const built = b.status === "built" ? b : undefined;
    const patches = built?.patches ?? [];
    const patchsetHash = createHash("sha256")
      .update(patches.map((p) => p.sha256).join(""))
      .digest("hex");
    const checkoutId = id("checkout", b.kernel, built?.sourceHash.slice(0, 16) || "unknown", patchsetHash.slice(0, 16));
    checkouts.set(checkoutId, {
      id: checkoutId,
      origin: KCIDB_ORIGIN,
      tree_name: b.kernel,
      patchset_hash: patches.length ? patchsetHash : "",
      patchset_files: patches.map((p) => ({ name: p.name, url: `file://${path.resolve(projectRoot, p.path)}` })),
      start_time: run.startedAt,
    });
    builds.push({
      id: id("build", key),
      origin: KCIDB_ORIGIN,
      checkout_id: checkoutId,
      architecture: ARCHES[b.arch].kcidb,
      compiler: built?.toolchain ?? run.host.toolchain ?? "gcc",
      ...(built && {
        command: built.command,
        config_name: `tinyconfig+fragments (${built.configSha256.slice(0, 12)})`,
        duration: built.buildMs / 1000,
      }),
      log_url: b.buildLog,
      status: built ? "PASS" : "FAIL",
      ...(b.status === "failed" && { log_excerpt: b.reason.slice(0, 16384) }),
    });
  }
  return { checkouts: [...checkouts.values()], builds };
}

/** KCIDB's status: an unexpected INCONCLUSIVE ran but decided nothing (DONE), not a failure of the kernel. */
function testStatus(view: CellView): string {
  if (view.ok) return "PASS";
  if (didNotRun(view.cell)) return "ERROR";
  return view.verdict === "INCONCLUSIVE" ? "DONE" : "FAIL";
}

/** How sure the verdict is: both sides' evidence and the calibrated test that decided it. */
function verdictMisc(v: Verdict): Record<string, unknown> {
  return {
    confidence: v.confidence,
    baseline_reproduced: `${v.baseline.k}/${v.baseline.n}`,
    baseline_rate_lower_bound: v.baseline.pLow,
    clean_runs: v.cleanRuns,
    fix_rate_upper_bound: v.pHigh,
    residual: v.residual,
    ...(v.test && { test: v.test.name, p_value: v.test.pValue, calibrated_level: v.test.level }),
    ...(v.partialPass && {
      pass_chance_half_rate: v.partialPass.half,
      pass_chance_quarter_rate: v.partialPass.quarter,
    }),
    ...(v.moreNeeded !== undefined && { more_runs_needed: v.moreNeeded }),
  };
}

export function kcidbReport({ run, groups }: ReportModel): KcidbData {
  const { checkouts, builds } = checkoutsAndBuilds(run);
  const tests: Record<string, unknown>[] = [];
  const incidents: Record<string, unknown>[] = [];
  for (const g of groups) {
    for (const c of g.cells) {
      const view = cellView(g, c);
      const testId = id("test", c.id);
      const excerpt = view.signatures
        .map((s) => run.signatures[s.signature]?.excerpt.slice(0, 20).join("\n") ?? s.signature)
        .join("\n\n");
      tests.push({
        id: testId,
        origin: KCIDB_ORIGIN,
        build_id: id("build", c.build),
        path: `kharness.${c.scenario}.${c.variant}`,
        environment: {
          comment: `QEMU ${run.accels?.[c.arch]?.accel ?? "?"}, ${c.cpus} vCPUs, hotplug ${c.hotplug ? "on" : "off"}`,
        },
        status: testStatus(view),
        duration: cellSeconds(c),
        log_url: c.runs[0]?.console ?? "",
        log_excerpt: (excerpt || `${view.verdict}: no splat`).slice(0, 16384),
        misc: {
          ...{ verdict: view.verdict, expected: view.expected, ok: view.ok },
          ...{ runs: view.runs, booted: view.booted, runs_with_bugs: view.bugRuns },
          ...(view.fixVerdict && verdictMisc(view.fixVerdict)),
        },
      });
      if (c.status !== "done") continue;
      const present = new Set(view.signatures.map((s) => s.signature));
      for (const sig of Object.keys(run.signatures)) {
        incidents.push({
          id: id("incident", sig, c.id),
          origin: KCIDB_ORIGIN,
          issue_id: id("issue", sig),
          issue_version: 1,
          test_id: testId,
          present: present.has(sig),
        });
      }
    }
  }
  const issues = Object.values(run.signatures).map((s) => ({
    id: id("issue", s.signature),
    version: 1,
    origin: KCIDB_ORIGIN,
    comment: s.title,
    culprit: { code: true, tool: false, harness: false },
    misc: { kind: s.kind, bug: s.bug, call_path: s.callPath },
  }));
  return { version: { major: 5, minor: 3 }, checkouts, builds, tests, issues, incidents };
}
