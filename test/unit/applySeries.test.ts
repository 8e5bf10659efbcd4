import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../harness/core/errors.js";
import { applySeries, readPatches, type SourceTree } from "../../harness/source/source.js";
import { pathWith, withEnv } from "../support/env.js";

// GNU patch on a tiny tree: the same code path as on the kernel, in milliseconds.
const ORIGINAL = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";

function diff(file: string, at: number, context: string[], added: string): string {
  return [
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${at},${context.length} +${at},${context.length + 1} @@`,
    ...context.slice(0, context.length / 2).map((c) => ` ${c}`),
    `+${added}`,
    ...context.slice(context.length / 2).map((c) => ` ${c}`),
    "",
  ].join("\n");
}

describe("applySeries with GNU patch", () => {
  let dir: string;
  let tree: SourceTree;
  const write = async (name: string, text: string) => {
    await fs.writeFile(path.join(dir, name), text);
    return path.join(dir, name);
  };
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-series-"));
    await fs.mkdir(path.join(dir, "src/mm"), { recursive: true });
    await fs.writeFile(path.join(dir, "src/mm/memcontrol.c"), ORIGINAL);
    tree = { id: "tiny", content: "tiny", sourceHash: "0", dir: path.join(dir, "src") };
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("applies a series in order, then switches to another series from pristine", async () => {
    const p1 = await write(
      "0001.patch",
      diff("mm/memcontrol.c", 10, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    const p2 = await write(
      "0002.patch",
      diff("mm/memcontrol.c", 20, ["line 19", "line 20", "line 21", "line 22"], "FIX"),
    );
    const s1 = await applySeries(tree, await readPatches([p1, p2]));
    expect(s1.warnings).toEqual([]);
    const patched = await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8");
    expect(patched).toContain("line 11\nBUG\nline 12");
    expect(patched).toContain("line 20\nFIX\nline 21");

    await applySeries(tree, await readPatches([p1]));
    const only1 = await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8");
    expect(only1).toContain("BUG");
    expect(only1).not.toContain("FIX");

    await applySeries(tree, []);
    expect(await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8")).toBe(ORIGINAL);
  });

  it("puts a series applied before back from its saved files, without running patch again", async () => {
    const p1 = await write(
      "0001.patch",
      diff("mm/memcontrol.c", 10, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    const p2 = await write(
      "0002.patch",
      diff("mm/memcontrol.c", 20, ["line 19", "line 20", "line 21", "line 22"], "FIX"),
    );
    const offset = await write(
      "0003.patch",
      diff("mm/memcontrol.c", 25, ["line 30", "line 31", "line 32", "line 33"], "LATE"),
    );
    const bug = await readPatches([p1, offset]);
    const first = await applySeries(tree, bug);
    const patched = await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8");
    await applySeries(tree, await readPatches([p1, p2]));
    // A `patch` that fails whenever it runs: only the saved files can bring the first series back.
    const bin = path.join(dir, "bin");
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, "patch"), "#!/bin/sh\necho 'patch ran' >&2\nexit 2\n", { mode: 0o755 });
    const again = await withEnv({ PATH: pathWith(bin) }, () => applySeries(tree, bug));
    expect(await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8")).toBe(patched);
    // The offset found when it was applied is still reported.
    expect(again.warnings).toEqual(first.warnings);
    expect(again.warnings).toHaveLength(1);
  });

  it("puts back a series that creates and deletes files exactly as patch leaves it, and undoes it", async () => {
    await fs.writeFile(path.join(tree.dir, "mm/old.c"), "int old;\n");
    const patched = (rel: string) => fs.readFile(path.join(tree.dir, rel), "utf8").catch(() => "(absent)");
    const state = async () => ({
      memcontrol: await patched("mm/memcontrol.c"),
      old: await patched("mm/old.c"),
      added: await patched("mm/new.c"),
    });
    const move = await write(
      "0001-move.patch",
      [
        "--- a/mm/old.c",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-int old;",
        "--- /dev/null",
        "+++ b/mm/new.c",
        "@@ -0,0 +1 @@",
        "+int added;",
        "",
      ].join("\n"),
    );
    const offset = await write(
      "0002.patch",
      diff("mm/memcontrol.c", 25, ["line 30", "line 31", "line 32", "line 33"], "LATE"),
    );
    const other = await write(
      "0003.patch",
      diff("mm/memcontrol.c", 10, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    const series = await readPatches([move, offset]);
    const first = await applySeries(tree, series);
    const applied = await state();
    expect(applied).toMatchObject({ old: "(absent)", added: "int added;\n" });
    // Another series (which leaves old.c alone), then the first put back, then pristine.
    await applySeries(tree, await readPatches([other]));
    expect(await state()).toMatchObject({ old: "int old;\n", added: "(absent)" });
    const again = await applySeries(tree, series);
    expect(await state()).toEqual(applied);
    expect(again.warnings).toEqual(first.warnings);
    expect((await applySeries(tree, series)).warnings).toEqual(first.warnings);
    await applySeries(tree, []);
    expect(await state()).toEqual({ memcontrol: ORIGINAL, old: "int old;\n", added: "(absent)" });
  });

  it("never lends one series another's reports: a failed series leaves the tree pristine with none", async () => {
    const offset = await write(
      "0001.patch",
      diff("mm/memcontrol.c", 25, ["line 30", "line 31", "line 32", "line 33"], "LATE"),
    );
    const broken = await write(
      "0002.patch",
      ["--- a/mm/memcontrol.c", "+++ b/mm/memcontrol.c", "@@ -5 +5 @@", "-no such line", "+X", ""].join("\n"),
    );
    expect((await applySeries(tree, await readPatches([offset]))).warnings).toHaveLength(1);
    await expect(applySeries(tree, await readPatches([broken]))).rejects.toThrow(UserError);
    // The pristine tree is "already in place" for the empty series: it has no patch, and no warning.
    expect(await applySeries(tree, [])).toEqual({ patches: [], reports: [], warnings: [] });
  });

  it("leaves files alone when the same series is asked for again (builds stay incremental)", async () => {
    const p1 = await write(
      "0001.patch",
      diff("mm/memcontrol.c", 10, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    await applySeries(tree, await readPatches([p1]));
    const before = (await fs.stat(path.join(tree.dir, "mm/memcontrol.c"))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await applySeries(tree, await readPatches([p1]));
    expect((await fs.stat(path.join(tree.dir, "mm/memcontrol.c"))).mtimeMs).toBe(before);
  });

  it("reports a hunk that applied at an offset", async () => {
    // The hunk claims line 5, but its context is at line 10.
    const p = await write(
      "0001-offset.patch",
      diff("mm/memcontrol.c", 5, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    const s = await applySeries(tree, await readPatches([p]));
    expect(s.warnings).toEqual(["0001-offset.patch: mm/memcontrol.c hunk #1 applied (offset 5 lines)"]);
  });

  it("reports a hunk that needed fuzz", async () => {
    const p = await write(
      "0001-fuzz.patch",
      diff("mm/memcontrol.c", 9, ["WRONG", "line 10", "line 11", "line 12", "line 13", "WRONG"], "BUG"),
    );
    const s = await applySeries(tree, await readPatches([p]));
    expect(s.warnings).toEqual(["0001-fuzz.patch: mm/memcontrol.c hunk #1 applied with fuzz 1"]);
    expect(s.reports[0]!.inexact).toBe(true);
  });

  it("stops with the patch, file and hunk when a patch does not apply, and leaves the tree pristine", async () => {
    const good = await write(
      "0001.patch",
      diff("mm/memcontrol.c", 10, ["line 10", "line 11", "line 12", "line 13"], "BUG"),
    );
    const bad = await write(
      "0002-bad.patch",
      diff("mm/memcontrol.c", 30, ["nope 1", "nope 2", "nope 3", "nope 4", "nope 5", "nope 6"], "FIX"),
    );
    const err = await applySeries(tree, await readPatches([good, bad])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(
      /patch .*0002-bad\.patch does not apply to tiny: hunk #1 of mm\/memcontrol\.c \(at line 30\) failed/,
    );
    expect((err as UserError).message).toContain("+FIX");
    expect((err as UserError).hint).toMatch(/rebase 0002-bad\.patch/);
    expect(await fs.readFile(path.join(tree.dir, "mm/memcontrol.c"), "utf8")).toBe(ORIGINAL);
  });
});
