import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";

const fixture = (name: string) => path.join(projectRoot, "test", "fixtures", "linux-6.1-memcg", name);
const kharness = (args: string[], input?: string) =>
  execa(path.join(projectRoot, "bin", "kharness"), args, { reject: false, ...(input !== undefined && { input }) });

describe("kharness parse", () => {
  it("--json: one object per file, splats in order, exit 1 when any", async () => {
    const r = await kharness([
      "parse",
      "--json",
      fixture("fix-reorder-console.log"),
      fixture("fix-drop-lock-console.log"),
    ]);
    expect(r.exitCode).toBe(1);
    const [withSplats, clean] = r.stdout
      .split("\n")
      .map((l) => JSON.parse(l) as { file: string; splats: { title: string; startLine: number; frames: string[] }[] });
    expect(withSplats!.file).toBe(fixture("fix-reorder-console.log"));
    expect(withSplats!.splats[0]).toMatchObject({
      title: "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats",
      startLine: 342,
    });
    expect(withSplats!.splats[0]).toMatchObject({
      type: "ATOMIC_SLEEP",
      culprit: "mem_cgroup_wb_stats",
      primary: true,
      altTitles: [],
    });
    expect(Object.keys(withSplats!.splats[0]!).sort()).toEqual([
      "altTitles",
      "callPath",
      "corrupted",
      "culprit",
      "endLine",
      "frame",
      "frames",
      "kind",
      "primary",
      "signature",
      "startLine",
      "title",
      "type",
    ]);
    const starts = withSplats!.splats.map((s) => s.startLine);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(clean).toEqual({ file: fixture("fix-drop-lock-console.log"), splats: [] });
  });

  it(
    "human output: title, type, frame, culprit and the report's lines; " + "- reads standard input; exit 0 when clean",
    async () => {
      const { readFileSync } = await import("node:fs");
      const r = await kharness(["parse", "-"], readFileSync(fixture("fix-reorder-console.log"), "utf8"));
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain(
        "-:342-368: BUG: sleeping function called from invalid context in mem_cgroup_wb_stats (first report)",
      );
      expect(r.stdout).toContain(
        "  kind atomic-sleep, type ATOMIC_SLEEP, frame mem_cgroup_wb_stats, culprit mem_cgroup_wb_stats, signature ",
      );
      expect(r.stdout).toContain("  call path mem_cgroup_wb_stats <- wb_over_bg_thresh <- wb_writeback <- wb_workfn");
      expect(r.stdout).toContain("  |  mem_cgroup_wb_stats+0x25/0x129");
      expect((await kharness(["parse", fixture("fix-drop-lock-console.log")])).exitCode).toBe(0);
    },
  );

  it("an unreadable file is an input error that names it: exit 2", async () => {
    const r = await kharness(["parse", "/nonexistent/console.log"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("cannot read /nonexistent/console.log");
  });
});
