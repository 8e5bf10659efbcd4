import { toolOutput } from "../core/exec.js";
import { UserError } from "../core/errors.js";
import { resolveUserCommit } from "./gitClone.js";
import { patchFromMail } from "./mbox.js";

/**
 * A commit of the user's repository as a patch (read only): `git format-patch -1` of it,
 * taken out as from a mail. `-c diff.noprefix=false` and `--no-ext-diff` keep a user's git
 * config from making a diff that patch -p1 cannot apply.
 */
export async function patchFromCommit(tree: string, rev: string): Promise<{ subject: string; patch: string }> {
  const commit = await resolveUserCommit(tree, rev, "--fix-commit");
  const r = await toolOutput("git", [
    "-C",
    tree,
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "format-patch",
    "-1",
    "--stdout",
    "--no-color",
    "--no-ext-diff",
    commit,
  ]);
  if (!r.stdout.trim()) {
    throw new UserError(
      `--fix-commit ${rev} (${commit.slice(0, 12)}) in ${tree} has no patch: it is a merge commit or changes nothing`,
      "give a commit that changes files itself (not a merge)",
    );
  }
  const { subject, patch } = await patchFromMail(r.stdout, `commit ${rev} of ${tree}`);
  return { subject, patch };
}
