/**
 * Pure: the patch in a mail, an mbox or a `git format-patch` file, taken out as `git am`
 * would: the first message that carries an unquoted unified diff, its MIME parts decoded,
 * and its subject without the [PATCH ...] prefix.
 */
import path from "node:path";
import { UserError } from "../core/errors.js";

export interface MailPatch {
  /** The subject without "Re:" and "[PATCH v2 3/5]"-style prefixes: the fix's description. */
  subject: string;
  author?: string;
  /** The mail's Message-ID, without its angle brackets: what a reply to it and lore's links name. */
  messageId?: string;
  /** The unified diff alone: from the first file header to the end of the last hunk. */
  patch: string;
}

interface Message {
  /** Lower-case name -> unfolded value, first occurrence. */
  headers: Map<string, string>;
  body: string;
}

/** An mbox separator as git and public-inbox write it: "From <sha or address> <weekday> ...". */
const MBOX_FROM = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;
const HEADER = /^([!-9;-~]+):[ \t]*(.*)$/;
/** Lines that may sit between and before hunks of a unified diff (git's extended headers, quilt's Index:). */
const DIFF_HEADER =
  /^(?:diff |index |--- |\+\+\+ |(?:new|deleted) file mode |old mode |new mode |(?:dis)?similarity index |rename (?:from|to) |copy (?:from|to) |Index: |=+$)/;
const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

export function patchFromMail(text: string, file: string): MailPatch {
  for (const raw of splitMbox(text.replace(/\r\n/g, "\n"))) {
    const message = parseMessage(raw);
    for (const body of leafBodies(message)) {
      const patch = extractDiff(body, file);
      if (!patch) continue;
      const from = inBodyFrom(body) ?? message.headers.get("from");
      const subject = message.headers.get("subject");
      const messageId = /<([^>\s]+)>/.exec(message.headers.get("message-id") ?? "")?.[1];
      return {
        subject: subject === undefined ? path.basename(file) : cleanSubject(decodeWords(subject)),
        ...(from && { author: decodeWords(from).trim() }),
        ...(messageId && { messageId }),
        patch,
      };
    }
  }
  throw new UserError(
    `${file} holds no patch: no message in it carries a unified diff (a "diff --git" or "---"/"+++" file header, then hunks; lines quoted with "> " do not count)`,
    "give a patch made with git format-patch or diff -u, or a mail (or mbox) that carries one",
  );
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

/** Strip what git am strips: "Re:" and bracketed prefixes such as "[PATCH v2 3/5]", repeatedly. */
export function cleanSubject(subject: string): string {
  let s = subject.replace(/\s+/g, " ").trim();
  for (let prev = ""; prev !== s; ) {
    prev = s;
    s = s.replace(/^re:\s*/i, "").replace(/^\[[^\]]*\]\s*/, "");
  }
  return s;
}

function splitMbox(text: string): string[] {
  const lines = text.replace(/^\n+/, "").split("\n");
  if (!MBOX_FROM.test(lines[0] ?? "")) return [lines.join("\n")];
  // mboxrd (public-inbox, lore) escapes body lines "From " as ">From ", ">From " as ">>From "...
  const mboxrd = lines[0]!.startsWith("From mboxrd@z ");
  const messages: string[][] = [];
  for (const line of lines) {
    if (MBOX_FROM.test(line)) messages.push([]);
    else messages.at(-1)!.push(mboxrd ? line.replace(/^>(>*From )/, "$1") : line);
  }
  return messages.map((m) => m.join("\n"));
}

/** Headers (unfolded) and body; text that does not start with a header block is all body (a bare diff). */
function parseMessage(raw: string): Message {
  const lines = raw.split("\n");
  const headers = new Map<string, string>();
  let last: string | undefined;
  let i = 0;
  for (; i < lines.length && lines[i] !== ""; i++) {
    const line = lines[i]!;
    // Unfolding (RFC 5322): a line starting with white space continues the header above.
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, headers.get(last)! + line);
      continue;
    }
    const m = HEADER.exec(line);
    if (!m) return { headers: new Map(), body: raw };
    last = m[1]!.toLowerCase();
    if (!headers.has(last)) headers.set(last, m[2]!);
  }
  return { headers, body: lines.slice(i + 1).join("\n") };
}

/** The decoded text of every non-multipart part, in order (HTML parts left out). */
function leafBodies(message: Message): string[] {
  const type = message.headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^\s*multipart\//i.test(type) && boundary) {
    return splitMultipart(message.body, boundary).flatMap((part) => leafBodies(parseMessage(part)));
  }
  if (/^\s*text\/html/i.test(type)) return [];
  const charset = /charset="?([^";\s]+)"?/i.exec(type)?.[1] ?? "utf-8";
  return [decodeBody(message.body, message.headers.get("content-transfer-encoding") ?? "", charset)];
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[][] = [];
  for (const line of body.split("\n")) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) parts.push([]);
    else parts.at(-1)?.push(line);
  }
  return parts.map((p) => p.join("\n"));
}

function decodeBody(body: string, encoding: string, charset: string): string {
  const e = encoding.trim().toLowerCase();
  if (e === "base64") return decodeCharset(Buffer.from(body.replace(/\s+/g, ""), "base64"), charset).replace(/\r\n/g, "\n");
  if (e === "quoted-printable") return decodeCharset(decodeQuotedPrintable(body), charset).replace(/\r\n/g, "\n");
  // 7bit, 8bit, binary: the text is already what was sent.
  return body;
}

/** RFC 2045: white space a transport added at line ends goes, "=" at a line end joins lines, =XX is a byte. */
function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/[ \t]+$/gm, "").replace(/=\n/g, "");
  // Quoted-printable text is 7-bit, so latin1 maps each character (and each =XX) to one byte.
  return Buffer.from(joined.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1");
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.split("*")[0]!.trim()).decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is what patches are in nearly always.
    return bytes.toString("utf8");
  }
}

const ENCODED_WORD = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;

/** RFC 2047 encoded words (=?UTF-8?q?...?=); adjacent words are joined before decoding, as a character may span two. */
function decodeWords(value: string): string {
  const runs = value.replace(/\?=\s+=\?/g, "?==?");
  return runs.replace(/(?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) => {
    let out = "";
    let pending: { charset: string; bytes: Buffer[] } | undefined;
    const flush = () => {
      if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset);
    };
    for (const [, charset, encoding, data] of run.matchAll(ENCODED_WORD)) {
      const bytes =
        encoding!.toUpperCase() === "B"
          ? Buffer.from(data!, "base64")
          : Buffer.from(data!.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1");
      if (pending?.charset.toLowerCase() !== charset!.toLowerCase()) {
        flush();
        pending = { charset: charset!, bytes: [] };
      }
      pending.bytes.push(bytes);
    }
    flush();
    return out;
  });
}

/** git format-patch writes "From: <author>" first in the body when the author is not the sender. */
function inBodyFrom(body: string): string | undefined {
  return /^\s*From: (.+)\n/.exec(body)?.[1];
}

/** The unified diff in a body, or undefined when there is none (a cover letter, a reply quoting a patch). */
function extractDiff(body: string, file: string): string | undefined {
  const lines = body.split("\n");
  const start = lines.findIndex((l, i) => l.startsWith("diff --git ") || (/^--- \S/.test(l) && /^\+\+\+ \S/.test(lines[i + 1] ?? "")));
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
      throw new UserError(`the patch in ${file} is cut short: its last hunk lacks ${Math.max(oldLines, newLines)} line(s)`, "save the whole mail or patch again (a mailer may have cut or wrapped it)");
    }
    // An empty line is a context line whose leading space a mailer stripped.
    const kind = line[0] ?? " ";
    if (kind === " " || kind === "-") oldLines--;
    if (kind === " " || kind === "+") newLines--;
    if (!" -+\\".includes(kind)) {
      throw new UserError(`the patch in ${file} is malformed: "${line}" inside a hunk (line ${i + 1} of its body)`, "save the patch again without line wrapping (git format-patch output is safe)");
    }
    i++;
  }
  // "\ No newline at end of file" belongs to the hunk's last line.
  return lines[i]?.startsWith("\\") ? i + 1 : i;
}
