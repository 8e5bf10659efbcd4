import path from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { openUserClone, resolveUserCommit, userCloneId } from "./gitClone.js";
import type { SourceContext, SourceKind } from "./kinds.js";
import { discardSeries, type SourceTree } from "./series.js";

export const GitSpecSchema = z.strictObject({
  kind: z.literal("git"),
  /** The user's git checkout (or bare repository): read, never written. */
  tree: z.string(),
  /** Any revision git understands; committed state only (uncommitted changes are not built). */
  ref: z.string().default("HEAD"),
});
export type GitSpec = z.infer<typeof GitSpecSchema>;

/**
 * Check out the ref in kharness's clone (openUserClone, shared with bisect): one work tree
 * per user repository whatever the ref, so refs share one build directory per config and
 * make rebuilds only what differs between them. The same commit again keeps the tree (and
 * any series) as is.
 */
async function prepare(spec: GitSpec, context: SourceContext): Promise<SourceTree> {
  const commit = await resolveUserCommit(spec.tree, spec.ref, "--ref");
  const { id, clone } = await openUserClone(spec.tree);
  const makefile = path.join(clone.workTree, "Makefile");
  // A work tree removed by hand (the clone still says the commit is out) is checked out again.
  if ((await clone.head()) !== commit || !(await exists(makefile))) {
    context.progress.stage(`check out ${spec.ref} (${commit.slice(0, 12)}) of ${spec.tree}`);
    // The saved originals belong to the old commit: undo the series while they still match.
    await discardSeries(clone.workTree);
    await clone.checkout(commit);
    context.progress.done(`checked out into ${clone.workTree}`);
  }
  if (!(await exists(makefile))) {
    throw new UserError(
      `--ref ${spec.ref} of ${spec.tree} is not a kernel tree (no top-level Makefile)`,
      "give --tree a kernel repository and --ref one of its commits",
    );
  }
  const origin = { kind: "git" as const, tree: spec.tree, ref: spec.ref, commit };
  return { id, content: `git:${await clone.treeOf(commit)}`, sourceHash: commit, dir: clone.workTree, origin };
}

/** A commit of the user's git repository, checked out in a clone kharness owns. */
export const gitSource: SourceKind<GitSpec> = {
  kind: "git",
  schema: GitSpecSchema,
  treeId: (spec) => userCloneId(spec.tree),
  prepare,
  async holds(spec, tree) {
    const { clone } = await openUserClone(spec.tree);
    return (await clone.head()) === tree.sourceHash && (await exists(path.join(tree.dir, "Makefile")));
  },
  describe: (spec) => `git ${spec.tree} at ${spec.ref}`,
};
