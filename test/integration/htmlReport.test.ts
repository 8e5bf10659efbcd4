import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { projectRoot, resultsRoot } from "../../harness/core/paths.js";
import { reportModel } from "../../harness/report/model.js";
import { renderReport } from "../../harness/report/write.js";
import { recordedRun } from "../support/recordedRun.js";
import { sampleRun } from "../support/sampleMatrix.js";

// Debian's Chromium, headless and offline (the page must need no network), as the probe of
// this machine kind starts it.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("the HTML report in a real headless Chromium", () => {
  it("renders the grid with each cell's verdict, and leaves a screenshot", { timeout: 120_000 }, async () => {
    const run = sampleRun();
    // One cell that differs from its expectation, to see it marked.
    for (const k of Object.keys(run.expect)) run.expect[k]!["fix-reorder"] = "FIXED";
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-html-"));
    const page = path.join(dir, "report.html");
    await fs.writeFile(page, renderReport(reportModel(run), "html"));
    const profile = path.join(dir, "profile");
    const dom = await execa("chromium", [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      "--dump-dom",
      `file://${page}`,
    ]);
    const cells = [
      ...dom.stdout.matchAll(/<td class="cell" data-cell="([^"]+)" data-verdict="([^"]+)" data-ok="(true|false)"/g),
    ].map((m) => ({ id: m[1]!, verdict: m[2]!, ok: m[3] === "true" }));
    expect(cells).toHaveLength(24);
    expect(cells.filter((c) => c.id.endsWith("/before")).every((c) => c.verdict === "REPRODUCES" && c.ok)).toBe(true);
    expect(cells.filter((c) => c.id.endsWith("/fix-drop-lock")).every((c) => c.verdict === "FIXED" && c.ok)).toBe(true);
    expect(cells.filter((c) => c.id.endsWith("/fix-reorder")).every((c) => c.verdict === "NOT FIXED" && !c.ok)).toBe(
      true,
    );
    expect(dom.stdout).toContain('<svg id="timings"');
    expect(dom.stdout).not.toMatch(/<script|https?:\/\//);

    const shot = path.join(resultsRoot(), "test-artifacts", "report.png");
    await fs.mkdir(path.dirname(shot), { recursive: true });
    await execa("chromium", [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      "--hide-scrollbars",
      "--window-size=1280,900",
      `--screenshot=${shot}`,
      `file://${page}`,
    ]);
    expect((await fs.stat(shot)).size).toBeGreaterThan(10_000);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(
    "the README's run fits a 1200-pixel page, the first reports first and the cascade folded; " +
      "its screenshot is docs/report.png",
    { timeout: 120_000 },
    async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-html-"));
      const run = await recordedRun(path.join(dir, "memcg-hotplug-lockdep-20261127-101500"));
      const html = renderReport(reportModel(run), "html");
      const page = path.join(dir, "report.html");
      await fs.writeFile(page, html);
      // A copy that measures itself once laid out (the report itself carries no script).
      const probe = path.join(dir, "probe.html");
      await fs.writeFile(
        probe,
        html.replace(
          "</body>",
          "<script>onload=()=>{document.body.dataset.width=document.documentElement.scrollWidth}</script></body>",
        ),
      );
      const profile = path.join(dir, "profile");
      const window = ["--hide-scrollbars", "--window-size=1200,1100"];
      const dom = await execa("chromium", [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        ...window,
        "--virtual-time-budget=2000",
        "--dump-dom",
        `file://${probe}`,
      ]);
      const width = Number(/data-width="(\d+)"/.exec(dom.stdout)?.[1]);
      expect(width).toBeGreaterThan(0);
      expect(width).toBeLessThanOrEqual(1200);
      // The cascade is there, and closed.
      expect(dom.stdout).toMatch(/<details id="cascade"><summary>\d+ more bug\(s\)/);
      expect(dom.stdout.indexOf('<table id="bugs"')).toBeLessThan(dom.stdout.indexOf('<details id="cascade">'));

      const shot = path.join(projectRoot, "docs", "report.png");
      await execa("chromium", [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        ...window,
        `--screenshot=${shot}`,
        `file://${page}`,
      ]);
      expect((await fs.stat(shot)).size).toBeGreaterThan(10_000);
      await fs.rm(dir, { recursive: true, force: true });
    },
  );
});
