/**
 * Console lines and titles made comparable: the line's printk prefix and caller, and syzkaller's title
 * normalisation.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]/g;
// dmesg -x style "kern  :warn  : " facility/level prefixes.
const DMESG_LEVEL =
  /^(?:kern|user|mail|daemon|auth|syslog|lpr|news)\s*:(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: /;
/**
 * `<N>[  12.345678][ T123] `: a syslog level, the timestamp and, with CONFIG_PRINTK_CALLER, the task or CPU
 * that printed.
 */
const PRINTK_PREFIX = /^(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](\[ *[CT][0-9]+\])? /;
/** The same after a getty's "login: " or a note about dropped messages (rare, so tried second). */
const LONG_PRINTK_PREFIX =
  /^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](\[ *[CT][0-9]+\])? /;

/** What the terminal showed: no ANSI escapes, no text a carriage return overwrote, no dmesg level. */
export function cleanConsoleLine(raw: string): string {
  let s = raw.includes("\x1b") ? raw.replace(ANSI, "") : raw;
  if (s.includes("\r")) {
    const cr = s.lastIndexOf("\r", s.length - 2);
    if (cr >= 0) s = s.slice(cr + 1);
    if (s.endsWith("\r")) s = s.slice(0, -1);
  }
  return s.startsWith("kern") || s.startsWith("user") || s.startsWith("daemon") ? s.replace(DMESG_LEVEL, "") : s;
}

export interface ConsoleLine {
  /**
   * Who printed it: the caller id verbatim ("[ T123]", "[    C1]"), "console" for a
   * timestamp without caller, "" for a line without timestamp (user space, continuations).
   */
  context: string;
  /** The message: without the prefix when there is one, its own leading space kept. */
  text: string;
  /** A `? func` frame (or ppc's "(unreliable)"): a stack guess, never part of the report's text. */
  questionable: boolean;
}

export function splitConsoleLine(line: string): ConsoleLine {
  const c = line.charCodeAt(0);
  // Only lines starting with "[" or "<" can carry the usual prefix: skip the regex for the rest.
  const m =
    (c === 0x5b || c === 0x3c ? PRINTK_PREFIX.exec(line) : null) ??
    ((line.includes(" login: ") || line.startsWith("** ")) && LONG_PRINTK_PREFIX.exec(line));
  if (!m) return { context: "", text: line, questionable: false };
  const text = line.slice(line.indexOf("] ") + 2);
  const questionable = !text.includes("<EOI>") && (text.includes(" ? ") || text.endsWith(" (unreliable)"));
  return { context: m[1] ?? "console", text, questionable };
}

export const isCpuContext = (context: string) => /^\[ *C[0-9]+\]$/.test(context);

/** syzkaller's rewrites, each repeated until it changes nothing: run-dependent numbers, addresses and offsets go. */
const TITLE_REWRITES: [RegExp, string][] = [
  [/syz-executor\.?[0-9]+((\/|:)[0-9]+)?/g, "syz-executor"],
  [/syzkaller[0-9]+((\/|:)[0-9]+)?/g, "syzkaller"],
  [/([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}/g, "$1ADDR"],
  [/([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})/g, "IP"],
  [/(\.\w+)(:[0-9]+)+/g, "$1:LINE"],
  [/([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+\/0x[0-9a-z]+/g, "$1"],
  [/CPU#[0-9]+/g, "CPU"],
  [/(\W)(\d+)(\W|$)/g, "$1NUM$3"],
  [/\d{7,}/g, "NUM"],
];
const MAX_TITLE_BYTES = 120;

const normalized = new Map<string, string>();
const MAX_REMEMBERED = 10_000;

/**
 * A title as syzkaller prints it: numbers and addresses replaced, printable ASCII only, at most 120 bytes,
 * spaces collapsed.
 */
export function normalizeTitle(title: string): string {
  let known = normalized.get(title);
  if (known === undefined) {
    if (normalized.size >= MAX_REMEMBERED) normalized.clear();
    normalized.set(title, (known = rewriteTitle(title)));
  }
  return known;
}

function rewriteTitle(title: string): string {
  let s = title;
  for (const [re, by] of TITLE_REWRITES) {
    for (let prev = ""; prev !== s;) {
      prev = s;
      s = s.replace(re, by);
    }
  }
  const bytes = Buffer.from(s, "utf8").subarray(0, MAX_TITLE_BYTES);
  let out = "";
  for (const b of bytes) {
    if (b === 9) out += " ";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
  }
  return out.replace(/ +/g, " ").trim();
}
