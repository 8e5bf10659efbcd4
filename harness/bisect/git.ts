import { execa } from "execa";
import type { CommitInfo } from "../records/bisect.js";

export type { CommitInfo };
import { InfraError, UserError } from "../core/errors.js";

/** Git at the edge: every call names the repository, and a failure says which command failed. */
export async function git(gitDir: string, args: string[], workTree?: string, okExits: number[] = [0]): Promise<string> {
  // git bisect insists on running from the top of the work tree.
  const r = await execa("git", [`--git-dir=${gitDir}`, ...(workTree ? [`--work-tree=${workTree}`] : []), ...args], { reject: false, all: true, ...(workTree && { cwd: workTree }) });
  if (!okExits.includes(r.exitCode ?? -1)) throw new InfraError(`git ${args.join(" ")} failed in ${gitDir} (exit ${r.exitCode}):\n${(r.all ?? "").trim()}`);
  return (r.all ?? "").trim();
}

/** The user's repository: checked, and its revisions resolved to commit hashes, before any long work. */
export async function resolveUserRevisions(tree: string, revs: Record<string, string>): Promise<Record<string, string>> {
  const top = await execa("git", ["-C", tree, "rev-parse", "--absolute-git-dir"], { reject: false });
  if (top.exitCode !== 0) throw new UserError(`${tree} is not a git repository`, "give --tree the path of a kernel git checkout (or a bare repository)");
  const out: Record<string, string> = {};
  for (const [what, rev] of Object.entries(revs)) {
    const r = await execa("git", ["-C", tree, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { reject: false });
    if (r.exitCode !== 0) throw new UserError(`${what} revision "${rev}" does not exist in ${tree}`, `check it with: git -C ${tree} log --oneline -1 ${rev}`);
    out[what] = r.stdout.trim();
  }
  return out;
}

export async function isAncestor(tree: string, older: string, newer: string): Promise<boolean> {
  const r = await execa("git", ["-C", tree, "merge-base", "--is-ancestor", older, newer], { reject: false });
  if ((r.exitCode ?? 2) > 1) throw new InfraError(`git merge-base --is-ancestor ${older} ${newer} failed in ${tree}: ${r.stderr}`);
  return r.exitCode === 0;
}


export async function commitInfo(gitDir: string, rev: string): Promise<CommitInfo> {
  const [hash, tree, author, subject] = (await git(gitDir, ["log", "-1", "--format=%H%n%T%n%an <%ae>%n%s", rev])).split("\n");
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
