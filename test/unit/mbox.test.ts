import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../harness/core/errors.js";
import { patchFromCommit } from "../../harness/source/commitPatch.js";
import { patchFromMail, variantNameFor } from "../../harness/source/mbox.js";

// A toy "kernel" file and a fix for it, committed in a throwaway repository, so the mails
// below are what git format-patch really writes.
const BUGGY = `static void drain_stock(struct stock *stock)
{
	spin_lock(&stock->lock);
	flush(stock);
	spin_unlock(&stock->lock);
}

static int hotplug_dead(unsigned int cpu)
{
	spin_lock(&stock_lock);
	drain_stock(per_cpu_stock(cpu));
	spin_unlock(&stock_lock);
	return 0;
}
`;
const FIXED = BUGGY.replace("\tspin_lock(&stock_lock);\n", "").replace("\tspin_unlock(&stock_lock);\n", "");

const git = (cwd: string, ...args: string[]) =>
  execa("git", ["-c", "user.name=Ada Tester", "-c", "user.email=ada@example.org", ...args], { cwd }).then(
    (r) => r.stdout,
  );

/** A reply as a list member writes it: the patch quoted line by line. */
function replyQuoting(mail: string): string {
  const quoted = mail
    .split("\n")
    .slice(1)
    .map((l) => `> ${l}`)
    .join("\n");
  return `From bob@example.org Tue Oct  3 10:00:00 2023
From: Bob Reviewer <bob@example.org>
Subject: Re: [PATCH v2 1/1] mm: stock: do not take stock_lock in hotplug_dead
Date: Tue, 3 Oct 2023 10:00:00 +0000

On Mon, Ada Tester wrote:
${quoted}

Looks right to me.
Reviewed-by: Bob Reviewer <bob@example.org>
`;
}

const COVER = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Ada Tester <ada@example.org>
Subject: [PATCH v2 0/1] mm: stock: a lock order fix

The hotplug callback takes stock_lock around a drain that takes the stock's lock.

Ada Tester (1):
  mm: stock: do not take stock_lock in hotplug_dead

 mm/stock.c | 2 --
 1 file changed, 2 deletions(-)

-- 
2.39.5
`;

describe("patchFromMail", () => {
  let repo: string;
  let mail: string;
  let expected: string;
  beforeAll(async () => {
    repo = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-test-"));
    await git(repo, "init", "-q");
    await fs.mkdir(path.join(repo, "mm"));
    await fs.writeFile(path.join(repo, "mm/stock.c"), BUGGY);
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "mm: stock: add the stock");
    await fs.writeFile(path.join(repo, "mm/stock.c"), FIXED);
    await git(
      repo,
      "commit",
      "-q",
      "-a",
      "-m",
      "mm: stock: do not take stock_lock in hotplug_dead",
      "-m",
      "The drain takes the stock's lock itself.",
    );
    mail = await git(repo, "format-patch", "-1", "--stdout", "--subject-prefix=PATCH v2", "--numbered", "HEAD");
    expected = (await git(repo, "diff", "HEAD~1", "HEAD")) + "\n";
    await git(repo, "checkout", "-q", "HEAD~1");
  });
  afterAll(() => fs.rm(repo, { recursive: true, force: true }));

  const applies = async (patch: string) => {
    const file = path.join(repo, "extracted.patch");
    await fs.writeFile(file, patch);
    return execa("git", ["apply", "--check", file], { cwd: repo, reject: false }).then((r) => r.exitCode);
  };

  it("takes the fix out of a format-patch mail, without the signature", async () => {
    const got = await patchFromMail(mail, "fix.patch");
    expect(got.patch).toBe(expected);
    expect(got.patch).not.toContain("2.39");
    expect(got.subject).toBe("mm: stock: do not take stock_lock in hotplug_dead");
    expect(got.author).toBe("Ada Tester <ada@example.org>");
    expect(await applies(got.patch)).toBe(0);
  });

  it("skips a cover letter and a reply that quotes the patch, in either order", async () => {
    for (const mbox of [
      [COVER, mail, replyQuoting(mail)],
      [replyQuoting(mail), COVER, mail],
    ]) {
      const got = await patchFromMail(mbox.join("\n"), "thread.mbox");
      expect(got.patch).toBe(expected);
      expect(got.subject).toBe("mm: stock: do not take stock_lock in hotplug_dead");
      expect(await applies(got.patch)).toBe(0);
    }
  });

  it("says a reply that only quotes a patch holds none", async () => {
    await expect(patchFromMail(replyQuoting(mail), "reply.eml")).rejects.toThrow(/reply\.eml holds no patch/);
  });

  it("decodes a quoted-printable body and an encoded, folded subject", async () => {
    const qp = [
      "From: =?UTF-8?q?J=C3=B6rg?= Tester <jorg@example.org>",
      // The folded subject splits "é" (C3 A9) across two encoded words.
      "Subject: [PATCH] =?UTF-8?q?mm:=20stock:=20caf=C3?=",
      " =?UTF-8?q?=A9_au_lait?=",
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "A long line gets a soft break.",
      "---",
      "diff --git a/mm/stock.c b/mm/stock.c",
      "--- a/mm/stock.c",
      "+++ b/mm/stock.c",
      "@@ -1,2 +1,2 @@",
      " int limit =3D 1;",
      '-char *name =3D "caf=C3=A9";',
      '+char *name =3D "a name long enough that the mailer breaks it in two, at the seventy-sixth col=',
      'umn";',
      "-- ",
      "2.39.5",
    ].join("\r\n");
    const got = await patchFromMail(qp, "qp.eml");
    expect(got.subject).toBe("mm: stock: café au lait");
    expect(got.author).toBe("Jörg Tester <jorg@example.org>");
    expect(got.patch).toBe(
      [
        "diff --git a/mm/stock.c b/mm/stock.c",
        "--- a/mm/stock.c",
        "+++ b/mm/stock.c",
        "@@ -1,2 +1,2 @@",
        " int limit = 1;",
        '-char *name = "café";',
        '+char *name = "a name long enough that the mailer breaks it in two, at the seventy-sixth column";',
        "",
      ].join("\n"),
    );
  });

  it("decodes a base64 patch attached to a multipart mail", async () => {
    const attached = Buffer.from(expected).toString("base64").replace(/.{76}/g, "$&\n");
    const multipart = [
      "From: Ada Tester <ada@example.org>",
      "Subject: [RFC PATCH] mm: stock: drop the outer lock",
      'Content-Type: multipart/mixed; boundary="==cut=="',
      "",
      "--==cut==",
      "Content-Type: text/plain",
      "",
      "The fix is attached; the drain locks on its own.",
      "--==cut==",
      'Content-Type: text/x-patch; name="fix.patch"',
      "Content-Transfer-Encoding: base64",
      "",
      attached,
      "--==cut==--",
      "",
    ].join("\n");
    const got = await patchFromMail(multipart, "attached.eml");
    expect(got.subject).toBe("mm: stock: drop the outer lock");
    expect(got.patch).toBe(expected);
  });

  it("takes a bare diff -u file as it is", async () => {
    const bare = ["--- a/mm/stock.c", "+++ b/mm/stock.c", "@@ -1 +1 @@", "-old", "+new", ""].join("\n");
    expect(await patchFromMail(bare, "/tmp/x/bare.diff")).toEqual({ subject: "bare.diff", patch: bare });
  });

  it("names the file and what was expected when there is no patch", async () => {
    const mail = "From: a@example.org\nSubject: hello\n\nNo diff here.\n";
    const err = await patchFromMail(mail, "/tmp/hello.eml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/\/tmp\/hello\.eml holds no patch: .*unified diff/);
    expect((err as UserError).hint).toMatch(/format-patch/);
  });

  it("says a patch was cut short rather than returning half a hunk", async () => {
    const cut = ["--- a/f.c", "+++ b/f.c", "@@ -1,3 +1,3 @@", " a", "-b"].join("\n");
    await expect(patchFromMail(cut, "cut.patch")).rejects.toThrow(/cut\.patch is cut short/);
  });
});

describe("patchFromCommit", () => {
  let repo: string;
  beforeAll(async () => {
    repo = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-test-"));
    await git(repo, "init", "-q");
    await fs.writeFile(path.join(repo, "stock.c"), BUGGY);
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "add");
    await fs.writeFile(path.join(repo, "stock.c"), FIXED);
    await git(repo, "commit", "-q", "-a", "-m", "stock: drop the outer lock");
    // A user's config must not change the patch's a/ b/ prefixes.
    await git(repo, "config", "diff.noprefix", "true");
  });
  afterAll(() => fs.rm(repo, { recursive: true, force: true }));

  it("gives the commit's subject and diff", async () => {
    const got = await patchFromCommit(repo, "HEAD");
    expect(got.subject).toBe("stock: drop the outer lock");
    expect(got.patch).toBe((await git(repo, "-c", "diff.noprefix=false", "diff", "HEAD~1", "HEAD")) + "\n");
  });

  it("says which revision does not exist, and where", async () => {
    await expect(patchFromCommit(repo, "no-such-branch")).rejects.toThrow(
      new RegExp(`--fix-commit no-such-branch is not a commit of ${repo}`),
    );
    await expect(patchFromCommit(os.tmpdir(), "HEAD")).rejects.toThrow(/is not a git repository/);
  });
});

describe("subjects and variant names", () => {
  it("strips Re: and bracketed prefixes as git am does", async () => {
    const bare = ["--- a/f.c", "+++ b/f.c", "@@ -1 +1 @@", "-old", "+new", ""].join("\n");
    const subjectOf = async (s: string) => (await patchFromMail(`Subject: ${s}\n\n${bare}`, "s.eml")).subject;
    expect(await subjectOf("Re: [PATCH v2 3/5] mm: memcg: drop lock")).toBe("mm: memcg: drop lock");
    expect(await subjectOf("[RFC] [PATCH]   mm:  fix")).toBe("mm: fix");
  });

  it("names a variant after the file", () => {
    expect(variantNameFor("/home/u/0001-mm-memcg-drop-lock.patch")).toBe("0001-mm-memcg-drop-lock");
    expect(variantNameFor("Re: [PATCH] Fix It!.mbox")).toBe("re-patch-fix-it");
    expect(variantNameFor("__.eml")).toBe("fix");
    for (const f of ["a.patch", "_X y.diff", "-.-.txt", "v2.fix.mbx"])
      expect(variantNameFor(f)).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
  });
});
