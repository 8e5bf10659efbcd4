import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replyCommand } from "../../harness/commands/reply.js";
import { projectRoot } from "../../harness/core/paths.js";
import { reportModel } from "../../harness/report/model.js";
import { checkTester, REPLY_WIDTH, replyText } from "../../harness/report/reply.js";
import type { RunFile } from "../../harness/records/run.js";
import { patchFromMail } from "../../harness/source/mbox.js";
import { judgeGroups } from "../../harness/verdict/groups.js";
import { recordedRun } from "../support/recordedRun.js";

const TESTER = "Tess Tester <tess@example.org>";
const patchFile = (name: string) => path.join(projectRoot, "scenarios/memcg-hotplug-lockdep/patches", name);

/** A patch as a developer mails it (git format-patch, git send-email), with its own Message-ID. */
async function patchMail(file: string, subject: string, messageId: string): Promise<string> {
  const diff = await fs.readFile(patchFile(file), "utf8");
  return [
    "From: Dev Eloper <dev@example.org>",
    "To: linux-mm@kvack.org",
    `Subject: [PATCH] ${subject}`,
    "Date: Thu, 26 Nov 2026 10:00:00 +0000",
    `Message-ID: <${messageId}>`,
    "",
    "mem_cgroup_wb_stats() must not sleep: it runs under rcu_read_lock().",
    "",
    "Signed-off-by: Dev Eloper <dev@example.org>",
    "---",
    // The diff as is: its last context line may be a lone space.
    diff.replace(/\n$/, ""),
    "-- ",
    "2.39.5",
    "",
  ].join("\n");
}

/** A bottom-posted answer: the patch quoted, the reply under it, threaded to the patch. */
function replyMail(patch: string, messageId: string, subject: string, body: string): string {
  const quoted = patch
    .split("\n\n")
    .slice(1)
    .join("\n\n")
    .split("\n")
    .map((l) => `> ${l}`.trimEnd());
  return [
    "From: Tess Tester <tess@example.org>",
    "To: Dev Eloper <dev@example.org>",
    `Subject: Re: [PATCH] ${subject}`,
    "Date: Fri, 27 Nov 2026 10:00:00 +0000",
    `Message-ID: <reply-${messageId}>`,
    `In-Reply-To: <${messageId}>`,
    `References: <${messageId}>`,
    "",
    "On Thu, 26 Nov 2026 10:00:00 +0000, Dev Eloper wrote:",
    ...quoted,
    "",
    body,
  ].join("\n");
}

/** b4 am on a local thread (the patch, then the reply): the trailers of the patch it would apply. */
async function b4Trailers(dir: string, patch: string, reply: string, messageId: string): Promise<string[]> {
  const mbox = path.join(dir, `${messageId}.mbox`);
  await fs.writeFile(
    mbox,
    `From patch@z Thu Jan  1 00:00:00 1970\n${patch}\nFrom reply@z Thu Jan  1 00:00:00 1970\n${reply}\n`,
  );
  const out = path.join(dir, `am-${messageId}`);
  await fs.mkdir(out, { recursive: true });
  // b4 stops (exit 1, no message) without a git identity: the maintainer who applies has one.
  const gitconfig = path.join(dir, "maintainer.gitconfig");
  await fs.writeFile(gitconfig, "[user]\n\tname = Mai Ntainer\n\temail = mai@example.org\n");
  const env = { GIT_CONFIG_GLOBAL: gitconfig, GIT_CONFIG_NOSYSTEM: "1" };
  const b4 = await execa("b4", ["-q", "am", "-m", mbox, "-o", out, messageId], {
    cwd: dir,
    env,
    reject: false,
    all: true,
  });
  if (b4.exitCode !== 0) throw new Error(`b4 am failed (exit ${b4.exitCode}):\n${b4.all}`);
  const [mbx] = (await fs.readdir(out)).filter((f) => f.endsWith(".mbx"));
  const text = await fs.readFile(path.join(out, mbx!), "utf8");
  // The commit message b4 would apply: after the mail headers, up to the "---" before the diff.
  const message = text.slice(text.indexOf("\n\n") + 2, text.indexOf("\n---\n"));
  return message.split("\n").filter((l) => /^[\w-]+: \S/.test(l));
}

const flat = (s: string) => s.replace(/\s+/g, " ");

describe("kharness reply, on the README's default run replayed from its recorded consoles", () => {
  let root: string;
  let run: RunFile;
  let gitRun: RunFile;
  let dropMail: string;
  const COMMIT = "a".repeat(40);
  const DROP_ID = "20261126100000.1-dev@example.org";
  const DROP_SUBJECT = "mm: memcg: drop the hotplug lock in mem_cgroup_wb_stats()";

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-reply-"));
    dropMail = await patchMail("0003-fix-drop-hotplug-lock.patch", DROP_SUBJECT, DROP_ID);
    // What `run --fix drop.mbox` records of the mail.
    const mail = await patchFromMail(dropMail, "drop.mbox");
    run = await recordedRun(path.join(root, "memcg-run"), {
      fix: { kind: "mail", file: "/home/tess/drop.mbox", subject: mail.subject, messageId: mail.messageId! },
    });
    gitRun = await recordedRun(path.join(root, "git-run"), {
      origin: { kind: "git", tree: "/home/tess/linux", ref: "v6.1.118", commit: COMMIT },
    });
  }, 60_000);
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it("the run it answers is the README's: before 3/3, fix-reorder NOT FIXED, fix-drop-lock FIXED", () => {
    const verdicts = Object.fromEntries(judgeGroups(run)[0]!.verdicts.map((v) => [v.fix, v.verdict]));
    expect(verdicts).toEqual({ "fix-reorder": "NOT FIXED", "fix-drop-lock": "FIXED" });
  });

  it(
    "FIXED: plain text within 75 columns, what was tested and how, " +
      "the first report, the verdict's own words, a Tested-by",
    () => {
      const text = replyText(reportModel(run), { testedBy: TESTER });
      for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(REPLY_WIDTH);
      expect(text).toContain("  base: Debian's linux-source-6.1 6.1.192-3");
      expect(text).toContain(`"${DROP_SUBJECT}"`);
      expect(text).toContain(`<${DROP_ID}>`);
      expect(flat(text)).toContain(
        "how: x86_64 under TCG, 4 vCPUs; config tinyconfig + kvm_guest.config, " +
          "guest.config, debug-locking.config, x86_64.config; " +
          "workload memcg-writer:memoryMax=64M,files=1,fileMiB=150,writebackCentisecs=20 " +
          "+ hotplug:rounds=40 (together, up to 300 s)",
      );
      expect(flat(text)).toContain("baseline 3/3 booted runs reproduced");
      expect(text).toMatch(
        /\n {2}WARNING: suspicious RCU usage in mem_cgroup_wb_stats\n {2}Call Trace:\n {3}lockdep_rcu_suspicious\n/,
      );
      const v = judgeGroups(run)[0]!.verdicts.find((x) => x.fix === "fix-drop-lock")!;
      expect(flat(text)).toContain(flat(`With the patch: FIXED - ${v.reason}.`));
      expect(text).toContain(`\nTested-by: ${TESTER}\n`);
      expect(text).not.toMatch(/^\| /m);
    },
  );

  it("NOT FIXED: the remaining report, a Reported-by behind '| ' for another commit, and no Tested-by", () => {
    const text = replyText(reportModel(run), { fix: "fix-reorder", testedBy: TESTER });
    expect(text).not.toMatch(/Tested-by/);
    expect(text).toMatch(
      /The report that remains:\n\n {2}BUG: sleeping function called from invalid context in mem_cgroup_wb_stats\n {2}Call Trace:\n(?: {3}\S+\n)*? {3}wb_over_bg_thresh\n/,
    );
    expect(text).toContain(`\n| Reported-by: ${TESTER}\n`);
  });

  it("no tester, no Tested-by: kharness never invents one", () => {
    expect(replyText(reportModel(run), {})).not.toMatch(/Tested-by|Reported-by/);
    expect(() => checkTester("tess", "--tested-by")).toThrow(/--tested-by "tess" is not "Name <mail>"/);
  });

  it("a tree at a commit: base-commit as git format-patch --base writes it, below the signature marker", () => {
    const text = replyText(reportModel(gitRun), { fix: "fix-drop-lock" });
    expect(text).toContain("  base: /home/tess/linux at v6.1.118 (aaaaaaaaaaaa)");
    expect(text).toMatch(new RegExp(`\\n-- \\nbase-commit: ${COMMIT}\\n`));
  });

  it(
    "the tester defaults to git's user.name and user.email; " + "with neither, stderr says there is no Tested-by",
    async () => {
      const gitconfig = path.join(root, "gitconfig");
      await fs.writeFile(gitconfig, "[user]\n\tname = Git User\n\temail = git.user@example.org\n");
      const saved = { global: process.env.GIT_CONFIG_GLOBAL, system: process.env.GIT_CONFIG_NOSYSTEM };
      try {
        process.env.GIT_CONFIG_NOSYSTEM = "1";
        process.env.GIT_CONFIG_GLOBAL = gitconfig;
        expect((await replyCommand(path.join(root, "memcg-run"), {})).text).toContain(
          "\nTested-by: Git User <git.user@example.org>\n",
        );
        process.env.GIT_CONFIG_GLOBAL = path.join(root, "no-such-config");
        const none = await replyCommand(path.join(root, "memcg-run"), {});
        expect(none.text).not.toMatch(/Tested-by/);
        expect(none.note).toMatch(/never invents one/);
      } finally {
        for (const [k, v] of [
          ["GIT_CONFIG_GLOBAL", saved.global],
          ["GIT_CONFIG_NOSYSTEM", saved.system],
        ] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    },
  );

  it(
    "Debian's b4 takes the Tested-by of a FIXED reply for the patch, " +
      "and nothing from a NOT FIXED one (nor its base-commit)",
    async () => {
      const fixed = replyMail(dropMail, DROP_ID, DROP_SUBJECT, replyText(reportModel(run), { testedBy: TESTER }));
      expect(await b4Trailers(root, dropMail, fixed, DROP_ID)).toEqual([
        "Signed-off-by: Dev Eloper <dev@example.org>",
        `Tested-by: ${TESTER}`,
      ]);

      const REORDER_ID = "20261126100000.2-dev@example.org";
      const REORDER_SUBJECT = "mm: memcg: take the hotplug lock outside the RCU section";
      const reorderMail = await patchMail("0002-fix.patch", REORDER_SUBJECT, REORDER_ID);
      const notFixed = replyMail(
        reorderMail,
        REORDER_ID,
        REORDER_SUBJECT,
        replyText(reportModel(gitRun), { fix: "fix-reorder", testedBy: TESTER }),
      );
      expect(notFixed).toContain(`base-commit: ${COMMIT}`);
      expect(await b4Trailers(root, reorderMail, notFixed, REORDER_ID)).toEqual([
        "Signed-off-by: Dev Eloper <dev@example.org>",
      ]);
    },
  );
});
