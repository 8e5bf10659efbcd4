/**
 * A fix as it arrives from a mailing list, for `run --fix`: the drop-the-hotplug-lock fix
 * (scenario patch 0003 on top of the bug) made into a commit of the real 6.1 history with
 * git plumbing (no checkout, no ref: the history's branches are untouched), mailed with
 * `git format-patch --stdout`, and followed in the mbox by a reply that quotes it.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { $ } from "zx";
import { projectRoot } from "../../harness/core/paths.js";
import type { History } from "./memcgHistory.js";

const FIX = path.join(projectRoot, "scenarios", "memcg-hotplug-lockdep", "patches", "0003-fix-drop-hotplug-lock.patch");
const IDENTITY = {
  GIT_AUTHOR_NAME: "A Developer",
  GIT_AUTHOR_EMAIL: "dev@example.org",
  GIT_COMMITTER_NAME: "A Developer",
  GIT_COMMITTER_EMAIL: "dev@example.org",
  GIT_AUTHOR_DATE: "2026-02-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-02-01T00:00:00Z",
};

/** Quote a mail as a reply does: "> " before every line of the body. */
function reply(mail: string): string {
  const subject = /^Subject: (.*)$/m.exec(mail)![1]!.replace(/^\[PATCH\] /, "");
  const body = mail.slice(mail.indexOf("\n\n") + 2);
  return [
    "From reviewer@example.org Mon Feb  2 00:00:00 2026",
    "From: A Reviewer <reviewer@example.org>",
    `Subject: Re: [PATCH] ${subject}`,
    "Date: Mon, 2 Feb 2026 00:00:00 +0000",
    "",
    "On Sun, Feb 1, 2026 A Developer wrote:",
    ...body.split("\n").map((l) => `> ${l}`),
    "",
    "Looks right to me: the stats need no hotplug exclusion.",
    "",
  ].join("\n");
}

/** Write the mbox (patch mail + quoting reply) to `out`; the history's `bug` commit is the fix's parent. */
export async function fixMbox(h: History, out: string): Promise<string> {
  const bug = h.commits[h.steps.indexOf("bug")]!;
  const index = `${out}.index`;
  const git = $({ cwd: h.dir, env: { ...process.env, ...IDENTITY, GIT_INDEX_FILE: index } });
  await git`git read-tree ${bug}`;
  await git`git apply --cached ${FIX}`;
  const tree = (await git`git write-tree`).stdout.trim();
  const message =
    "mm/memcg: drop the hotplug lock from mem_cgroup_wb_stats()\n\n" +
    "The stats are read under RCU; CPU hotplug exclusion is not needed.";
  const commit = (await git`git commit-tree ${tree} -p ${bug} -m ${message}`).stdout.trim();
  const mail = (await git`git format-patch -1 --stdout ${commit}`).stdout;
  await fs.rm(index, { force: true });
  await fs.writeFile(out, `${mail}\n${reply(mail)}`);
  return out;
}

/** From the command line: npx tsx bench/support/fixMbox.ts OUT.mbox (makes the full history first if needed). */
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const { memcgHistory } = await import("./memcgHistory.js");
  console.log(await fixMbox(await memcgHistory("full"), process.argv[2] ?? "drop-hotplug-lock.mbox"));
}
