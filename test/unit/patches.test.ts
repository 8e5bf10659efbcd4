import { describe, expect, it } from "vitest";
import { describeInexact, extractHunk, parsePatchOutput, patchTargets } from "../../harness/source/patches.js";

const DIFF = `--- a/mm/memcontrol.c	2026-11-25 07:10:50.516406290 +0000
+++ b/mm/memcontrol.c	2026-11-25 07:10:50.743759265 +0000
@@ -4585,6 +4585,8 @@
 
 	mem_cgroup_flush_stats();
 
+	rcu_read_lock();
+	cpus_read_lock();
 	*pdirty = memcg_page_state(memcg, NR_FILE_DIRTY);
@@ -4599,6 +4601,8 @@
 		memcg = parent;
 	}
+	cpus_read_unlock();
+	rcu_read_unlock();
 }
`;

describe("patch series helpers", () => {
  it("lists the files a diff writes, -p1", () => {
    expect(patchTargets(DIFF)).toEqual(["mm/memcontrol.c"]);
    expect(patchTargets("--- /dev/null\n+++ b/new/file.c\n@@ -0,0 +1 @@\n+x\n")).toEqual(["new/file.c"]);
    expect(() => patchTargets("just text")).toThrow(/not a unified diff/);
  });

  it("reads offset and fuzz from GNU patch's report", () => {
    const r = parsePatchOutput(
      "0001-bug.patch",
      "patching file mm/memcontrol.c\n" +
        "Hunk #1 succeeded at 3194 with fuzz 2 (offset -1391 lines).\n" +
        "Hunk #2 succeeded at 3210 (offset -1391 lines).\n",
    );
    expect(r.failed).toBe(false);
    expect(r.inexact).toBe(true);
    expect(r.hunks).toEqual([
      { file: "mm/memcontrol.c", hunk: 1, line: 3194, status: "fuzz", fuzz: 2, offset: -1391 },
      { file: "mm/memcontrol.c", hunk: 2, line: 3210, status: "offset", offset: -1391 },
    ]);
    expect(describeInexact(r)).toEqual([
      "0001-bug.patch: mm/memcontrol.c hunk #1 applied with fuzz 2 (offset -1391 lines)",
      "0001-bug.patch: mm/memcontrol.c hunk #2 applied (offset -1391 lines)",
    ]);
  });

  it("treats a clean apply as exact and a failed hunk as failure", () => {
    expect(parsePatchOutput("p", "patching file mm/memcontrol.c\n").inexact).toBe(false);
    const bad = parsePatchOutput(
      "p",
      "checking file mm/memcontrol.c\nHunk #2 FAILED at 4599.\n1 out of 2 hunks FAILED\n",
    );
    expect(bad.failed).toBe(true);
    expect(bad.hunks[0]).toMatchObject({ file: "mm/memcontrol.c", hunk: 2, status: "failed", line: 4599 });
  });

  it("extracts the failing hunk's text for the error message", () => {
    const h = extractHunk(DIFF, "mm/memcontrol.c", 2)!;
    expect(h.split("\n")[0]).toBe("@@ -4599,6 +4601,8 @@");
    expect(h).toContain("+	cpus_read_unlock();");
    expect(h).not.toContain("rcu_read_lock();");
    expect(extractHunk(DIFF, "mm/other.c", 1)).toBeUndefined();
  });
});
