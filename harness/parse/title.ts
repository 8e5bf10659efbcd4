/**
 * A report's title, alternative titles, crash type and corruption, by syzkaller's rules:
 * of the header group's formats, the one whose title regex matches earliest in the report
 * text wins (table order on a tie); its stack spec names the guilty frame.
 */
import {
  FRAME_LINES,
  STACK_START,
  STACK_STARTS,
  SYSCALL_PREFIXES,
  type HeaderGroup,
  type StackSpec,
  type TitleFormat,
} from "./formats.js";
import { normalizeTitle } from "./normalize.js";
import { extractFrames, type PickedFrame } from "./stack.js";

export interface ReportTitle {
  title: string;
  altTitles: string[];
  /** syzkaller's crash type, e.g. "LOCKDEP", "ATOMIC_SLEEP", "HANG"; "UNKNOWN" when its table has none. */
  type: string;
  corrupted: boolean;
  /** The guilty frame as named in the title (undefined for titles without one). */
  frame?: string;
  /** The winning format's stack spec: its skip list also applies to kharness's culprit. */
  stack?: StackSpec;
}

const fill = (fmt: string, args: readonly string[]) =>
  fmt.replace(/%(\d)/g, (_, n: string) => args[Number(n) - 1] ?? "");

/** The lines a stack walk reads: the rest of the line where `offset` is, then the lines after it. */
function linesFrom(lines: readonly string[], offset: number): string[] {
  let i = 0;
  let start = 0;
  while (i < lines.length - 1 && start + lines[i]!.length < offset) start += lines[i++]!.length + 1;
  return [lines[i]!.slice(offset - start), ...lines.slice(i + 1)];
}

/**
 * Every title a format gives with these frames: its own, the alternatives, and the variants with raw and
 * partly stripped frame names.
 */
function titlesOf(format: TitleFormat, captures: string[], frames: PickedFrame[]): { title: string; alts: string[] } {
  const withFrames = (names: string[]) => [...captures, ...names];
  const title = fill(format.fmt, withFrames(frames.map((f) => f.name)));
  const alts = (format.alt ?? []).map((a) => fill(a, withFrames(frames.map((f) => f.name))));
  const variant = (names: string[]) => {
    const t = fill(format.fmt, withFrames(names));
    if (t !== title) alts.push(t);
    for (const a of format.alt ?? []) alts.push(fill(a, withFrames(names)));
  };
  const raws = frames.map((f) => f.raw);
  variant(raws);
  for (const p of SYSCALL_PREFIXES)
    if (raws.some((r) => r.startsWith(p))) variant(raws.map((r) => (r.startsWith(p) ? r.slice(p.length) : r)));
  return { title, alts };
}

const stickyCopies = new Map<RegExp, RegExp>();
/**
 * The leftmost match of a title regex. Every title regex starts with its group's header,
 * so it is only tried where the header occurs (`at`) instead of scanning the whole text.
 */
function leftmostAt(re: RegExp, text: string, at: readonly number[]): RegExpExecArray | null {
  let sticky = stickyCopies.get(re);
  if (!sticky) stickyCopies.set(re, (sticky = new RegExp(re.source, `${re.flags}y`)));
  for (const i of at) {
    sticky.lastIndex = i;
    const m = sticky.exec(text);
    if (m) return m;
  }
  return null;
}

function occurrences(text: string, what: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) at.push(i);
  return at;
}

interface Winner {
  format: TitleFormat;
  title: string;
  failed: boolean;
  frames: PickedFrame[];
}

/** The format that titles the report: earliest title match, then table order. */
function chooseFormat(
  lines: readonly string[],
  group: HeaderGroup,
): { winner?: Winner; alts: string[]; reportMissing: boolean } {
  const text = `${lines.join("\n")}\n`;
  let best = Infinity;
  let winner: Winner | undefined;
  let reportMissing = false;
  const alts: string[] = [];
  const headers = occurrences(text, group.header);
  for (const format of group.formats) {
    const t = leftmostAt(format.title, text, headers);
    if (!t || t.index > best || (t.index === best && winner)) continue;
    if (t.index < best) winner = undefined;
    best = t.index;
    const m = format.report ? format.report.exec(text) : t;
    reportMissing = !m;
    if (!m) continue;
    const captures = m.slice(1).map((c) => c ?? "");
    const { frames, failed } = format.stack
      ? extractFrames(linesFrom(lines, m.index), format.stack)
      : { frames: [], failed: false };
    const titles = titlesOf(format, captures, frames);
    alts.push(...titles.alts);
    winner = { format, title: titles.title, failed, frames };
  }
  return { winner, alts, reportMissing: !winner && reportMissing };
}

/** Whether a stack header is followed closely by a frame (or says it has none); `at` is the header's line. */
function framedAfter(lines: readonly string[], at: number): boolean {
  for (let i = at + 1; i <= at + 15 && i < lines.length; i++) {
    const l = lines[i]!;
    if (STACK_START.test(l)) return false;
    if (l.includes("(stack is not available)") || FRAME_LINES.some((re) => re.test(l))) return true;
  }
  return false;
}

/**
 * A report with a call trace needs a stack header (the first of each kind) followed
 * closely by frames and at least three more lines; cut-off reports lack them. RISC-V's
 * register dump (the last kind) needs no frames and does not count as a trace by itself.
 */
function lacksCallTrace(lines: readonly string[]): boolean {
  const seen = new Set<number>();
  for (let at = 0; at < lines.length; at++) {
    if (!STACK_START.test(lines[at]!)) continue;
    for (const [k, start] of STACK_STARTS.entries()) {
      if (seen.has(k) || !start.test(lines[at]!)) continue;
      seen.add(k);
      if (lines.length - at < 3 || (k !== STACK_STARTS.length - 1 && !framedAfter(lines, at))) return true;
    }
  }
  return [...seen].every((k) => k === STACK_STARTS.length - 1);
}

/**
 * Title and type of a report whose first line holds a header of `group`; `lines` are the report's own lines,
 * prefixes removed.
 */
export function titleReport(lines: readonly string[], group: HeaderGroup): ReportTitle {
  const { winner, alts, reportMissing } = chooseFormat(lines, group);
  if (!winner) {
    const line = lines.find((l) => l.includes(group.header)) ?? lines[0]!;
    const title = normalizeTitle(line.slice(line.indexOf(group.header)));
    return { title, altTitles: [], type: titleType(title), corrupted: reportMissing };
  }
  const { format } = winner;
  const corrupted =
    winner.failed ||
    format.corrupted === true ||
    /\[ *[0-9]+\.[0-9]+\]/.test(winner.title) ||
    (!format.noTrace && lacksCallTrace(lines));
  const title = normalizeTitle(winner.title);
  const altTitles = [...new Set(alts.map(normalizeTitle))].filter((a) => a !== title);
  // Like syzkaller's FRAME: what follows the title's last " in ", for formats that name a function there.
  const frame = / in %\d$/.test(format.fmt) ? title.slice(title.lastIndexOf(" in ") + 4) : undefined;
  return {
    title,
    altTitles,
    type: titleType(title),
    corrupted,
    ...(frame !== undefined && { frame }),
    ...(format.stack && { stack: format.stack }),
  };
}

/** Types by title head (the title up to its first " in "): the prefixes never reach past it. */
const typeOfHead = new Map<string, string>();

/** syzkaller's crash types by title prefix, first match wins. */
const TYPES: [string, string[]][] = [
  ["KFENCE-USE-AFTER-FREE-WRITE", ["KFENCE: use-after-free write"]],
  ["KFENCE-USE-AFTER-FREE-READ", ["KFENCE: use-after-free read", "KFENCE: use-after-free"]],
  ["KFENCE-WRITE", ["KFENCE: invalid write", "KFENCE: out-of-bounds write"]],
  ["KFENCE-READ", ["KFENCE: invalid read", "KFENCE: out-of-bounds read", "KFENCE: out-of-bounds"]],
  ["KFENCE-MEMORY-CORRUPTION", ["KFENCE: memory corruption"]],
  ["KFENCE-INVALID-FREE", ["KFENCE: invalid free"]],
  ["KMSAN-UNINIT-VALUE", ["KMSAN: uninit-value"]],
  [
    "KMSAN-USE-AFTER-FREE-READ",
    ["KMSAN: kernel-infoleak-after-free", "KMSAN: kernel-usb-infoleak-after-free", "KMSAN: use-after-free"],
  ],
  ["KMSAN-INFO-LEAK", ["KMSAN: kernel-infoleak", "KMSAN: kernel-usb-infoleak"]],
  ["KASAN-NULL-POINTER-DEREFERENCE-WRITE", ["KASAN: null-ptr-deref Write"]],
  ["KASAN-NULL-POINTER-DEREFERENCE-READ", ["KASAN: null-ptr-deref Read"]],
  ["NULL-POINTER-DEREFERENCE", ["BUG: unable to handle kernel NULL pointer dereference in"]],
  [
    "KASAN-WRITE",
    [
      "global-out-of-bounds",
      "out-of-bounds",
      "slab-out-of-bounds",
      "stack-out-of-bounds",
      "user-memory-access",
      "vmalloc-out-of-bounds",
      "wild-memory-access",
    ].map((k) => `KASAN: ${k} Write`),
  ],
  [
    "KASAN-READ",
    [
      ...["global-out-of-bounds", "invalid-access", "out-of-bounds", "slab-out-of-bounds"].map(
        (k) => `KASAN: ${k} Read`,
      ),
      "KASAN: slab-out-of-bounds",
      "KASAN: stack-out-of-bounds Read",
      "KASAN: stack-out-of-bounds",
      ...["unknown-crash", "user-memory-access", "vmalloc-out-of-bounds", "wild-memory-access"].map(
        (k) => `KASAN: ${k} Read`,
      ),
      "KASAN: wild-memory-access",
    ],
  ],
  ["KASAN-INVALID-FREE", ["KASAN: double-free or invalid-free", "KASAN: invalid-free"]],
  ["KASAN-USE-AFTER-FREE-WRITE", ["KASAN: slab-use-after-free Write", "KASAN: use-after-free Write"]],
  [
    "KASAN-USE-AFTER-FREE-READ",
    ["KASAN: slab-use-after-free Read", "KASAN: use-after-free Read", "KASAN: use-after-free"],
  ],
  ["MEMORY_SAFETY_BUG", ["BUG: corrupted list", "BUG: unable to handle kernel paging request"]],
  ["REFCOUNT_WARNING", ["WARNING: refcount bug"]],
  ["MEMORY_SAFETY_UBSAN", ["UBSAN: array-index-out-of-bounds"]],
  ["KCSAN-DATARACE", ["KCSAN: data-race"]],
  ["KCSAN-ASSERT", ["KCSAN: assert: race in"]],
  [
    "LOCKDEP",
    [
      ...["bad unlock balance in", "held lock freed in", "rwlock", "spinlock", "still has locks held in", "using"].map(
        (t) => `BUG: ${t}`,
      ),
      ...[
        "bad unlock balance in",
        "held lock freed in",
        "lock held",
        "locking bug in",
        "nested lock was not taken in",
        "still has locks held in",
        "suspicious RCU usage in",
      ].map((t) => `WARNING: ${t}`),
      "inconsistent lock state in",
      "possible deadlock in",
    ],
  ],
  ["ATOMIC_SLEEP", ["BUG: scheduling while atomic in", "BUG: sleeping function called from invalid context in"]],
  ["LEAK", ["memory leak in"]],
  ["BUG", ["BUG: bad usercopy in", "kernel BUG"]],
  ["WARNING", ["WARNING in"]],
  [
    "UNKNOWN",
    [
      "BUG: stack guard page was hit in",
      "WARNING: corrupted",
      "WARNING: kernel stack frame pointer has bad value",
      "WARNING: kernel stack regs has bad",
    ],
  ],
  ["HANG", ["BUG: soft lockup in", "INFO: rcu detected stall in", "INFO: task can't die in", "INFO: task hung in"]],
  [
    "DoS",
    [
      ...[
        "Alignment trap in",
        "BUG: Object already free",
        "Internal error in",
        "PANIC: double fault",
        "Unhandled fault in",
        "VFS: Busy inodes after unmount (use-after-free)",
      ],
      ...[
        "VFS: Close: file count is zero (use-after-free)",
        "divide error in",
        "general protection fault in",
        "go runtime error",
        "int3 in",
        "invalid opcode in",
      ],
      ...[
        "kernel panic:",
        "kernel stack overflow",
        "panic:",
        "rust_kernel panicked",
        "stack segment fault in",
        "trusty:",
        "unregister_netdevice: waiting for DEV to become free",
      ],
    ],
  ],
  ["NO_OUTPUT", ["no output from test machine"]],
  ["REBOOT", ["unexpected kernel reboot"]],
  ["SYZ_FAILURE", ["SYZFAIL", "SYZFATAL:"]],
  ["WARNING", ["WARNING:"]],
  ["UNKNOWN", ["BUG:", "INFO:"]],
  ["KASAN-UNKNOWN", ["KASAN:"]],
  ["KFENCE-UNKNOWN", ["KFENCE:"]],
  ["KMSAN-UNKNOWN", ["KMSAN:"]],
  ["UBSAN", ["UBSAN:"]],
  ["KCSAN-UNKNOWN", ["KCSAN:"]],
];

export function titleType(title: string): string {
  const head = title.slice(0, title.indexOf(" in ") + 1 || undefined);
  let type = typeOfHead.get(head);
  if (type === undefined)
    typeOfHead.set(
      head,
      (type = TYPES.find(([, prefixes]) => prefixes.some((p) => title.startsWith(p)))?.[0] ?? "UNKNOWN"),
    );
  return type;
}
