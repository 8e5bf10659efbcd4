import { promises as fs } from "node:fs";
import path from "node:path";
import { howEnded, tool, toolOutput } from "../core/exec.js";
import { InfraError, UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { cacheRoot } from "../core/paths.js";
import { treeDir } from "./kinds.js";

/** Git at the edge: every call names the repository, and a failure says which command failed. */
export async function git(gitDir: string, args: string[], workTree?: string, okExits: number[] = [0]): Promise<string> {
  // git bisect insists on running from the top of the work tree.
  const r = await tool("git", [`--git-dir=${gitDir}`, ...(workTree ? [`--work-tree=${workTree}`] : []), ...args], {
    all: true,
    ...(workTree && { cwd: workTree }),
  });
  if (!okExits.includes(r.exitCode ?? -1))
    throw new InfraError(`git ${args.join(" ")} failed in ${gitDir} (${howEnded(r)}):\n${(r.all ?? "").trim()}`);
  return (r.all ?? "").trim();
}

/**
 * The user's repository, read only: its common git directory (shared by all its linked
 * worktrees, and what a clone must borrow objects from). `flag` names the input in errors.
 */
export async function userGitDir(tree: string, flag = "--tree"): Promise<string> {
  const r = await tool("git", ["-C", tree, "rev-parse", "--path-format=absolute", "--git-common-dir"]);
  if (r.exitCode !== 0) {
    throw new UserError(
      `${flag} ${tree} is not a git repository`,
      `give ${flag} the path of a kernel git checkout (or bare repository); ` +
        'for a plain source directory use a source of kind "dir"',
    );
  }
  return fs.realpath(r.stdout.trim());
}

/** A revision of the user's repository as a commit hash; `what` names the input in errors (e.g. "--ref"). */
export async function resolveUserCommit(tree: string, rev: string, what = "--ref"): Promise<string> {
  await userGitDir(tree);
  const r = await tool("git", ["-C", tree, "rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]);
  if (r.exitCode !== 0)
    throw new UserError(
      `${what} ${rev} is not a commit of ${tree}`,
      `check it with: git -C ${tree} log --oneline -1 ${rev}`,
    );
  return r.stdout.trim();
}

/**
 * A clone of the user's repository that kharness owns: `git clone --bare --shared`, so the
 * objects are borrowed (alternates) and the user's checkout, index and refs are never
 * touched. The work tree lives in a separate directory with no .git inside, so the
 * kernel's setlocalversion adds no -g<hash> and commits with equal trees build equal
 * kernels.
 *
 * Commits are resolved in the user's repository (resolveUserCommit), and the alternates
 * make every object the user has readable here: no fetch is needed to check one out.
 */
export class SharedClone {
  private constructor(
    readonly gitDir: string,
    readonly workTree: string,
  ) {}

  /** Clone `userTree` into `gitDir` on first use; `workTree` is where checkouts go. */
  static async open(userTree: string, gitDir: string, workTree: string): Promise<SharedClone> {
    if (!(await exists(path.join(gitDir, "HEAD")))) {
      // Cloned aside and renamed, so an interrupted clone is never taken for a finished one.
      const tmp = `${gitDir}.cloning-${process.pid}`;
      await fs.rm(tmp, { recursive: true, force: true });
      await fs.mkdir(path.dirname(tmp), { recursive: true });
      await toolOutput("git", ["clone", "--quiet", "--bare", "--shared", await userGitDir(userTree), tmp]);
      // A bare clone has no work tree of its own; checkout and bisect need one.
      await git(tmp, ["config", "core.bare", "false"]);
      await fs.rename(tmp, gitDir).catch(async (err: unknown) => {
        // Another kharness cloned it first: use that one.
        if (!(await exists(path.join(gitDir, "HEAD")))) throw err;
        await fs.rm(tmp, { recursive: true, force: true });
      });
    }
    await fs.mkdir(workTree, { recursive: true });
    await git(gitDir, ["config", "core.worktree", workTree]);
    return new SharedClone(gitDir, workTree);
  }

  run(args: string[], okExits?: number[]): Promise<string> {
    return git(this.gitDir, args, this.workTree, okExits);
  }

  /** The checked-out commit, or undefined before the first checkout. */
  async head(): Promise<string | undefined> {
    // A fresh bare clone has a HEAD (the user's) but no index: nothing is checked out yet.
    if (!(await exists(path.join(this.gitDir, "index")))) return undefined;
    return this.run(["rev-parse", "--verify", "HEAD^{commit}"]);
  }

  /** Rewrites only the files that differ, so make's timestamps keep the next build incremental. */
  async checkout(commit: string): Promise<void> {
    await this.run(["checkout", "--quiet", "--force", "--detach", commit]);
  }

  /** The commit's tree object: equal trees build equal kernels. */
  treeOf(commit: string): Promise<string> {
    return this.run(["rev-parse", `${commit}^{tree}`]);
  }
}

/** Stable per user repository, whichever of its worktrees or paths (symlinks) names it. */
export async function userRepoKey(tree: string, flag = "--tree"): Promise<string> {
  return sha256(await userGitDir(tree, flag)).slice(0, 12);
}

/** The id of kharness's clone of a user repository: its work tree's, its lock's and its build directories' name. */
export async function userCloneId(tree: string, flag = "--tree"): Promise<string> {
  return cloneIdOf(await userRepoKey(tree, flag));
}

const cloneIdOf = (repoKey: string) => `git-${repoKey}`;

/**
 * The one clone of a user repository that `run --tree` and `bisect` share (cacheRoot()/git/<key>/repo.git,
 * work tree treeDir(id)): one work tree and one build directory per config, so a bisection
 * step rebuilds only what differs from the last run of any command. Its users take turns
 * under treeLockFile(id).
 */
export async function openUserClone(tree: string, flag = "--tree"): Promise<{ id: string; clone: SharedClone }> {
  const key = await userRepoKey(tree, flag);
  const id = cloneIdOf(key);
  return { id, clone: await SharedClone.open(tree, path.join(cacheRoot(), "git", key, "repo.git"), treeDir(id)) };
}
