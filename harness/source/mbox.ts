/**
 * The patch in a mail, an mbox or a `git format-patch` file, taken out as `git am` takes it:
 * `git mailsplit` splits the mbox and `git mailinfo` decodes each message (MIME parts,
 * transfer and header encodings, an in-body From:, the "Re: [PATCH v2 3/5]" prefix). The first
 * message that carries an unquoted unified diff is the fix.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { toolOutput } from "../core/exec.js";
import { UserError } from "../core/errors.js";

export interface MailPatch extends MailHeaders {
  /** The unified diff alone: from the first file header to the end of the last hunk. */
  patch: string;
}

interface MailHeaders {
  /** The subject without "Re:" and "[PATCH v2 3/5]"-style prefixes: the fix's description. */
  subject: string;
  author?: string;
  /** The mail's Message-ID, without its angle brackets: what a reply to it and lore's links name. */
  messageId?: string;
}

/** Lines that may sit between and before hunks of a unified diff (git's extended headers, quilt's Index:). */
const DIFF_HEADER = new RegExp(
  String.raw`^(?:diff |index |--- |\+\+\+ |(?:new|deleted) file mode |old mode |new mode |(?:dis)?similarity index |` +
    String.raw`rename (?:from|to) |copy (?:from|to) |Index: |=+$)`,
);
const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

export async function patchFromMail(text: string, file: string): Promise<MailPatch> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-mail-"));
  try {
    // Any text is a mail to these two (a bare diff is a mail's body): a failure is an older git, or an odd mail.
    const hint = `git 2.34 or later reads ${file} (mailinfo --quoted-cr): check the version, and the file`;
    for (const message of await splitMbox(text, dir, hint)) {
      const mail = await mailInfo(message, dir, hint);
      const patch = extractDiff(mail.patch, file);
      if (patch) return { ...mail.headers, subject: mail.headers.subject || path.basename(file), patch };
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  throw new UserError(
    `${file} holds no patch: no message in it carries a unified diff (a "diff --git" or "---"/"+++" file header, ` +
      `then hunks; lines quoted with "> " do not count)`,
    "give a patch made with git format-patch or diff -u, or a mail (or mbox) that carries one",
  );
}

/** The messages of an mbox, one file each; text with no "From " separator line is one message (-b). */
async function splitMbox(text: string, dir: string, hint: string): Promise<string[]> {
  const out = path.join(dir, "split");
  await fs.mkdir(out);
  // No --mboxrd for lore's mboxrd: its ">From " escapes are in commit messages, never in a diff's lines.
  await toolOutput("git", ["mailsplit", "-b", `-o${out}`], { input: text, hint });
  return (await fs.readdir(out)).sort().map((name) => path.join(out, name));
}

/** One message as `git mailinfo` reads it: its decoded headers, and the text from where its patch starts. */
async function mailInfo(message: string, dir: string, hint: string): Promise<{ headers: MailHeaders; patch: string }> {
  const [msg, patch] = [path.join(dir, "msg"), path.join(dir, "patch")];
  // Explicit options, so that a user's mailinfo.scissors or i18n.commitEncoding changes nothing.
  const args = ["mailinfo", "--encoding=UTF-8", "--no-scissors", "--quoted-cr=strip", "--message-id", msg, patch];
  const info = (await toolOutput("git", args, { inputFile: message, hint })).stdout;
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(info)?.[1]?.trim() ?? "";
  const [name, email, subject] = [field("Author"), field("Email"), field("Subject")];
  const author = name && email ? `${name} <${email}>` : name || email;
  // --message-id appends the header to the commit message: its last such line is the mail's.
  const messageId = [...(await fs.readFile(msg, "utf8")).matchAll(/^Message-I[dD]: <([^>\s]+)>$/gm)].at(-1)?.[1];
  const headers = { subject, ...(author && { author }), ...(messageId && { messageId }) };
  return { headers, patch: await fs.readFile(patch, "utf8") };
}

/** "0001-mm-memcg-drop-lock.patch" -> "0001-mm-memcg-drop-lock": a valid variant name (^[a-z0-9][a-z0-9._-]*$). */
export function variantNameFor(file: string): string {
  const base = path.basename(file).replace(/\.(?:patch|diff|mbox|mbx|eml|txt)$/i, "");
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/[-.]+$/, "");
  return name || "fix";
}

/** The unified diff in a body, or undefined when there is none (a cover letter, a reply quoting a patch). */
function extractDiff(body: string, file: string): string | undefined {
  const lines = body.split("\n");
  const fileHeader = (l: string, i: number) => /^--- \S/.test(l) && /^\+\+\+ \S/.test(lines[i + 1] ?? "");
  const start = lines.findIndex((l, i) => l.startsWith("diff --git ") || fileHeader(l, i));
  if (start < 0) return undefined;
  let i = start;
  for (;;) {
    const line = lines[i] ?? "";
    const hunk = HUNK.exec(line);
    if (hunk) i = hunkEnd(lines, i + 1, Number(hunk[1] ?? 1), Number(hunk[2] ?? 1), file);
    else if (DIFF_HEADER.test(line)) i++;
    // Anything else ends the diff: git's "-- " signature, a "base-commit:" line, the next mail.
    else break;
  }
  return lines.slice(start, i).join("\n") + "\n";
}

/** The line after a hunk that has `oldLines` and `newLines` lines, counted as git apply counts them. */
function hunkEnd(lines: string[], i: number, oldLines: number, newLines: number, file: string): number {
  while (oldLines > 0 || newLines > 0) {
    const line = lines[i];
    if (line === undefined) {
      throw new UserError(
        `the patch in ${file} is cut short: its last hunk lacks ${Math.max(oldLines, newLines)} line(s)`,
        "save the whole mail or patch again (a mailer may have cut or wrapped it)",
      );
    }
    // An empty line is a context line whose leading space a mailer stripped.
    const kind = line[0] ?? " ";
    if (kind === " " || kind === "-") oldLines--;
    if (kind === " " || kind === "+") newLines--;
    if (!" -+\\".includes(kind)) {
      throw new UserError(
        `the patch in ${file} is malformed: "${line}" inside a hunk (line ${i + 1} of its body)`,
        "save the patch again without line wrapping (git format-patch output is safe)",
      );
    }
    i++;
  }
  // "\ No newline at end of file" belongs to the hunk's last line.
  return lines[i]?.startsWith("\\") ? i + 1 : i;
}
