import { howEnded, tool } from "../core/exec.js";
import { InfraError } from "../core/errors.js";
import type { CommitInfo } from "../records/bisect.js";
import { git, resolveUserCommit } from "../source/gitClone.js";

export { git };
export type { CommitInfo };

/** The user's repository: checked, and its revisions resolved to commit hashes, before any long work. */
export async function resolveUserRevisions(
  tree: string,
  revs: Record<string, string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [what, rev] of Object.entries(revs)) out[what] = await resolveUserCommit(tree, rev, `--${what}`);
  return out;
}

export async function isAncestor(tree: string, older: string, newer: string): Promise<boolean> {
  const r = await tool("git", ["-C", tree, "merge-base", "--is-ancestor", older, newer]);
  if ((r.exitCode ?? 2) > 1)
    throw new InfraError(
      `git merge-base --is-ancestor ${older} ${newer} failed in ${tree} (${howEnded(r)}): ${r.stderr}`,
    );
  return r.exitCode === 0;
}

export async function commitInfo(gitDir: string, rev: string): Promise<CommitInfo> {
  const [hash, tree, author, subject] = (await git(gitDir, ["log", "-1", "--format=%H%n%T%n%an <%ae>%n%s", rev])).split(
    "\n",
  );
  return { hash: hash!, tree: tree!, author: author!, subject: subject ?? "" };
}

export async function commitCount(gitDir: string, range: string): Promise<number> {
  return Number(await git(gitDir, ["rev-list", "--count", range]));
}

/** What `git bisect <term>` (or skip/start) said: the next commit to test, or the answer. */
export type BisectProgress =
  | { kind: "next"; commit: string; remaining?: number }
  | { kind: "first"; commit: string }
  | { kind: "ambiguous"; candidates: string[] };

/** Parse git bisect's report. Pure, so the wording git uses is tested directly. */
export function parseBisectOutput(out: string): BisectProgress {
  const first = /^([0-9a-f]{40}) is the first \S+ commit/m.exec(out);
  if (first) return { kind: "first", commit: first[1]! };
  if (/only 'skip'ped commits left to test/.test(out) || /The first \S+ commit could be any of:/.test(out)) {
    return { kind: "ambiguous", candidates: [...out.matchAll(/^([0-9a-f]{40})$/gm)].map((m) => m[1]!) };
  }
  const next = /^\[([0-9a-f]{40})\]/m.exec(out);
  if (next) {
    const left = /Bisecting: (\d+) revisions? left to test/.exec(out);
    return { kind: "next", commit: next[1]!, ...(left && { remaining: Number(left[1]) }) };
  }
  throw new InfraError(`cannot read git bisect's output:\n${out}`);
}
