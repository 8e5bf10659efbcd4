/** Pure helpers for patch series: which files a patch touches, and what GNU patch said. */

export interface HunkReport {
  file: string;
  hunk: number;
  status: "ok" | "offset" | "fuzz" | "failed";
  line?: number;
  offset?: number;
  fuzz?: number;
}

export interface PatchApplyReport {
  patch: string;
  hunks: HunkReport[];
  /** True when any hunk needed fuzz or an offset: applied, but not cleanly. */
  inexact: boolean;
  failed: boolean;
}

/**
 * Files a unified diff writes, creates or removes, with one leading path component stripped
 * (-p1): both names of each `--- ` / `+++ ` header pair (a deletion's is on its `---` line, a
 * rename's old name too), and git's `rename from/to` and `copy to` names (given without a/ b/).
 */
export function patchTargets(diff: string): string[] {
  const files = new Set<string>();
  const strip = (p: string) => p.split("/").slice(1).join("/");
  for (const m of diff.matchAll(/^--- (\S+).*\n\+\+\+ (\S+)/gm)) {
    for (const p of [m[1]!, m[2]!]) if (p !== "/dev/null") files.add(strip(p));
  }
  for (const m of diff.matchAll(/^(?:rename from|rename to|copy to) (\S+)$/gm)) files.add(m[1]!);
  if (files.size === 0) throw new Error("not a unified diff: no '--- ' / '+++ ' file headers");
  return [...files];
}

/** Parse GNU patch's report ("patching file X", "Hunk #2 succeeded at 10 with fuzz 1 (offset 3 lines).", ...). */
export function parsePatchOutput(patch: string, output: string): PatchApplyReport {
  const hunks: HunkReport[] = [];
  let file = "";
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    const pf = /^(?:checking|patching) file '?([^']+?)'?$/.exec(line);
    if (pf) {
      file = pf[1]!;
      continue;
    }
    const ok = /^Hunk #(\d+) succeeded at (\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?\.$/.exec(line);
    if (ok) {
      const fuzz = ok[3] ? Number(ok[3]) : undefined;
      const offset = ok[4] ? Number(ok[4]) : undefined;
      hunks.push({
        file,
        hunk: Number(ok[1]),
        line: Number(ok[2]),
        status: fuzz ? "fuzz" : offset ? "offset" : "ok",
        ...(fuzz !== undefined && { fuzz }),
        ...(offset !== undefined && { offset }),
      });
      continue;
    }
    const bad = /^Hunk #(\d+) FAILED at (\d+)/.exec(line);
    if (bad) hunks.push({ file, hunk: Number(bad[1]), line: Number(bad[2]), status: "failed" });
  }
  return {
    patch,
    hunks,
    inexact: hunks.some((h) => h.status === "offset" || h.status === "fuzz"),
    failed: hunks.some((h) => h.status === "failed") || /can't find file|malformed patch|Only garbage/i.test(output),
  };
}

/** The text of hunk number `n` (1-based) for `file` in a unified diff, to show in an error. */
export function extractHunk(diff: string, file: string, n: number): string | undefined {
  const lines = diff.split("\n");
  let inFile = false;
  let count = 0;
  let out: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith("+++ ")) {
      if (out) break;
      const target = line.slice(4).split(/\s/)[0]!.split("/").slice(1).join("/");
      inFile = target === file;
      continue;
    }
    if (line.startsWith("--- ") || line.startsWith("diff ")) {
      if (out) break;
      continue;
    }
    if (line.startsWith("@@")) {
      if (out) break;
      if (inFile && ++count === n) out = [];
    }
    if (out) out.push(line);
  }
  return out?.join("\n").trimEnd();
}

/**
 * One line per inexact or failed hunk, e.g.
 * "0001-bug.patch: mm/memcontrol.c hunk #1 applied with fuzz 2 (offset -1391 lines)".
 */
export function describeInexact(report: PatchApplyReport): string[] {
  return report.hunks
    .filter((h) => h.status === "offset" || h.status === "fuzz")
    .map((h) => {
      const parts = [h.fuzz ? `with fuzz ${h.fuzz}` : "", h.offset ? `(offset ${h.offset} lines)` : ""].filter(Boolean);
      return `${report.patch}: ${h.file} hunk #${h.hunk} applied ${parts.join(" ")}`;
    });
}
