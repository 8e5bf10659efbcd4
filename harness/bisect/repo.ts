import path from "node:path";
import { exists } from "../core/files.js";
import { openUserClone } from "../source/gitClone.js";
import { discardSeries } from "../source/series.js";
import { commitInfo, git, parseBisectOutput, type BisectProgress, type CommitInfo } from "./git.js";

/**
 * The repository a bisection runs in: kharness's clone of the user's tree, the one `run
 * --tree` uses too (openUserClone: objects borrowed, the user's checkout and refs never
 * touched), with git bisect's own state in it. Its users take turns under the tree's lock.
 */
export class BisectRepo {
  private constructor(
    /** The clone's tree id: its lock and build directories are named after it. */
    readonly id: string,
    readonly gitDir: string,
    readonly workTree: string,
  ) {}

  /** The shared clone of `userTree` (made on first use; the user's tree is only read). */
  static async open(userTree: string): Promise<BisectRepo> {
    const { id, clone } = await openUserClone(userTree);
    return new BisectRepo(id, clone.gitDir, clone.workTree);
  }

  /** Undo a series a run left in the shared work tree: git bisect will not check out over patched files. */
  discardSeries(): Promise<void> {
    return discardSeries(this.workTree);
  }

  private run(args: string[], okExits?: number[]): Promise<string> {
    return git(this.gitDir, args, this.workTree, okExits);
  }

  async checkout(commit: string): Promise<void> {
    await this.run(["checkout", "--quiet", "--force", "--detach", commit]);
  }

  info(rev: string): Promise<CommitInfo> {
    return commitInfo(this.gitDir, rev);
  }

  /** `git bisect start` with the direction's terms: `newRev` has the new state, `oldRev` the old. */
  async start(terms: { old: string; new: string }, newRev: string, oldRev: string): Promise<BisectProgress> {
    await this.reset();
    return parseBisectOutput(
      await this.run(["bisect", "start", `--term-old=${terms.old}`, `--term-new=${terms.new}`, newRev, oldRev]),
    );
  }

  /** Mark the checked-out commit with a term, or "skip". */
  async mark(term: string): Promise<BisectProgress> {
    // Exit 2: only skipped commits are left, and git lists the candidates.
    return parseBisectOutput(await this.run(["bisect", term], [0, 2]));
  }

  log(): Promise<string> {
    return this.run(["bisect", "log"]);
  }

  /** Continue a bisection from its log (after a reset), as `git bisect replay` does. */
  async replay(logFile: string): Promise<BisectProgress> {
    await this.reset();
    await this.run(["bisect", "replay", logFile]);
    const log = await this.log();
    const first = /^# first \S+ commit: \[([0-9a-f]{40})\]/m.exec(log);
    if (first) return { kind: "first", commit: first[1]! };
    return { kind: "next", commit: await this.run(["rev-parse", "HEAD"]) };
  }

  async reset(): Promise<void> {
    // Stay on the checked-out commit: going back to a branch would rewrite files and cost a rebuild.
    if (await exists(path.join(this.gitDir, "BISECT_START"))) await this.run(["bisect", "reset", "HEAD"]);
  }
}
