import { StringDecoder } from "node:string_decoder";
import { findCulprit, kindOf, splatSignature } from "./culprit.js";
import {
  ANY_HEADER,
  HEADER_GROUPS,
  REPORT_START_IGNORES,
  STACK_PRINTING_MESSAGES,
  STACK_START,
  type HeaderGroup,
  type SplatKind,
} from "./formats.js";
import { cleanConsoleLine, isCpuContext, splitConsoleLine, type ConsoleLine } from "./normalize.js";
import { frameNamesOf } from "./stack.js";
import { titleReport } from "./title.js";

export interface Splat {
  kind: SplatKind;
  /** syzkaller's title for the report, e.g. "BUG: sleeping function called from invalid context in cpus_read_lock". */
  title: string;
  /** syzkaller's other titles for the same report (raw frame names, "stall in X", ...). */
  altTitles: string[];
  /** syzkaller's crash type, e.g. "LOCKDEP", "ATOMIC_SLEEP", "HANG", "WARNING"; "UNKNOWN" when it has none. */
  type: string;
  /**
   * syzkaller's guilty frame, the one in the title ("corrupted" when none was found); undefined for titles
   * without a frame.
   */
  frame?: string;
  /** kharness's guilty frame: syzkaller's, or its first caller when that is a lock, hotplug or sleep-check helper. */
  culprit?: string;
  /** Frames of the main call trace (`? ` frames dropped), innermost first. */
  frames: string[];
  /** The culprit and its next callers: the call path that tells two reports with one title apart. */
  callPath: string[];
  /** Dedup key: kind, title without its frame, culprit call path (see splatSignature). */
  signature: string;
  /** The report is cut short or garbled: no frame found, no call trace, or only its tail was printed. */
  corrupted: boolean;
  /** The log's first report (syzkaller's "first oops wins"); the kernel is tainted after it. */
  primary: boolean;
  startLine: number;
  endLine: number;
  lines: string[];
}

/** A report's title text never holds more lines than this, nor runs further into the log than WINDOW_LINES. */
const MAX_TEXT_LINES = 1000;
const WINDOW_LINES = 4000;
const MAX_SHOWN_LINES = 400;
const MAX_OPEN = 8;
/** After this many lines, a panic or a circular-locking banner is an aftermath of the report, not part of its text. */
const TAIL_CUT_AFTER = 22;
const TAIL_CUT_AFTER_KMSAN = 16;

/**
 * The header group that owns a console line, if any; `next` is the line after it (a replayed message is not
 * a new report).
 */
export function headerGroupOf(line: string, next: string | undefined): HeaderGroup | undefined {
  if (!ANY_HEADER.test(line) || next?.includes("** replaying previous printk message **")) return undefined;
  return HEADER_GROUPS.find((g) => line.includes(g.header) && !g.suppress.some((re) => re.test(line)));
}

/** Lines printed with CONFIG_PRINTK_CALLER's "[ T123]" / "[ C1]" (as opposed to "console" and untimestamped ""). */
const hasCallerIds = (context: string) => context !== "console" && context !== "";

interface OpenReport {
  startLine: number;
  context: string;
  group: HeaderGroup;
  /** The text syzkaller titles: same-context lines, `? ` frames and aftermath dropped. */
  text: string[];
  /** Lines shown for the report: same-context lines with their numbers, up to the printer's next report. */
  shown: { no: number; text: string }[];
  shownDone: boolean;
  /** Lines of the printer read so far, the report's first included (syzkaller's count for the tail cut). */
  passed: number;
  tailCutAfter: number;
  tailCut: boolean;
  /** An NMI backtrace was requested: other CPUs' lines belong to the report too. */
  nmiBacktrace: boolean;
  splat?: Splat;
}

const DISPLAY_FRAME =
  /^\s*(?:\[<?[0-9a-f]+>?\] )?(?:\? )?(?:[A-Za-z_][\w.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+|[A-Za-z_][\w.$]* \S+:\d+ \[inline\]$)/;
const IRQ_MARKER = /^(?:<\/?(?:IRQ|NMI|SOFTIRQ)>|<EOI>)$/;
const HELD_LOCK = /^\s*#\d+: /;

/**
 * Where the report's own lines end: at "---[ end", at the </TASK> closing its trace, at
 * the first non-frame line after a trace printed without task markers, or after the list
 * of held locks of a report with no trace. Returns the index of the last line.
 */
export function reportEnd(texts: readonly string[]): number {
  const hasTrace = texts.some((t) => /Call (?:T|t)race/.test(t));
  let inTask = false;
  let sawTrace = false;
  let lastFrame = false;
  let lastHeldLock = false;
  for (let i = 1; i < texts.length && i < MAX_SHOWN_LINES; i++) {
    const t = texts[i]!.trim();
    const frame = DISPLAY_FRAME.test(texts[i]!);
    if (/^-+\[ end /.test(t)) return i;
    if (sawTrace && !inTask && lastFrame && !frame && !IRQ_MARKER.test(t)) return i - 1;
    if (!hasTrace && lastHeldLock && !HELD_LOCK.test(t)) return i - 1;
    if (/Call (?:T|t)race/.test(t)) sawTrace = true;
    else if (sawTrace && t === "<TASK>") inTask = true;
    else if (sawTrace && t === "</TASK>") return i;
    lastFrame = frame;
    lastHeldLock = HELD_LOCK.test(t);
  }
  return Math.min(texts.length, MAX_SHOWN_LINES) - 1;
}

/** The main call trace: frames after the first "Call Trace" up to the next stack, </TASK> or end marker. */
export function mainTrace(text: readonly string[]): string[] {
  const start = text.findIndex((l) => /Call (?:T|t)race/.test(l));
  if (start < 0) return [];
  const frames: string[] = [];
  for (const line of text.slice(start + 1)) {
    if (STACK_START.test(line) || /^\s*<\/TASK>|^-+\[ end /.test(line)) break;
    const names = frameNamesOf(line);
    if (names) frames.push(...names);
  }
  return frames;
}

function toSplat(r: OpenReport, primary: boolean): Splat {
  const t = titleReport(r.text, r.group);
  const frames = mainTrace(r.text);
  const { culprit, callPath } = findCulprit(t.frame, frames, t.stack);
  const kind = kindOf(t.title);
  const last = reportEnd(r.shown.map((s) => s.text));
  return {
    kind,
    title: t.title,
    altTitles: t.altTitles,
    type: t.type,
    ...(t.frame !== undefined && { frame: t.frame }),
    ...(culprit !== undefined && { culprit }),
    frames,
    callPath,
    signature: splatSignature(kind, t.title, t.frame, callPath),
    corrupted: t.corrupted,
    primary,
    startLine: r.startLine,
    endLine: r.shown[last]!.no,
    lines: r.shown.slice(0, last + 1).map((s) => s.text),
  };
}

/**
 * Reads a console in chunks of any size and emits each report, in order of appearance,
 * once its text is complete, so a log of any size is parsed holding only the reports being
 * read. Reports are told apart by who printed them (CONFIG_PRINTK_CALLER's task or CPU id);
 * without caller ids every timestamped line is the console's. Without caller ids a report's
 * text ends at the next report; with them it runs on through its printer's later lines (as
 * syzkaller reads it), though its shown lines end there. Either way it ends after
 * MAX_TEXT_LINES of its lines, WINDOW_LINES into the log, or when MAX_OPEN newer reports are open.
 */
export class ConsoleScanner {
  private lineNo = 0;
  private pending = "";
  /** The last line read: whether it starts a report depends on the line after it. */
  private held?: string;
  /** Reports still reading, oldest first. */
  private open: OpenReport[] = [];
  /** Reports in order of their first line; emitted from the front once their text is complete. */
  private readonly queue: OpenReport[] = [];
  private emitted = 0;

  constructor(private readonly emit: (s: Splat) => void) {}

  write(chunk: string): void {
    const text = this.pending + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.take(cleanConsoleLine(text.slice(start, nl)));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  /** The log ended: a last line without a newline still counts, and open reports are complete. */
  end(): void {
    if (this.pending.length > 0) this.take(cleanConsoleLine(this.pending));
    this.pending = "";
    if (this.held !== undefined) this.line(this.held, undefined);
    this.held = undefined;
    for (const r of [...this.open]) this.close(r);
  }

  private take(line: string): void {
    if (this.held !== undefined) this.line(this.held, line);
    this.held = line;
  }

  private line(raw: string, next: string | undefined): void {
    const no = ++this.lineNo;
    const line = splitConsoleLine(raw);
    const group = headerGroupOf(raw, next);
    // A new report (not an aftermath such as the panic after an oops) ends the text of the reports before it.
    const cutsText =
      (group !== undefined && !REPORT_START_IGNORES.some((h) => raw.includes(h))) ||
      STACK_PRINTING_MESSAGES.some((m) => raw.includes(m));
    let printerHasReport = false;
    for (const r of [...this.open]) {
      if (cutsText && !hasCallerIds(r.context)) {
        this.close(r);
        continue;
      }
      if (line.context === r.context) {
        printerHasReport = true;
        r.shownDone ||= group !== undefined && cutsText;
      }
      this.add(r, no, line, raw);
    }
    if (group && (cutsText || !printerHasReport)) this.start(no, line, group, raw);
  }

  private start(no: number, line: ConsoleLine, group: HeaderGroup, raw: string): void {
    if (this.open.length >= MAX_OPEN) this.close(this.open[0]!);
    const r: OpenReport = {
      startLine: no,
      context: line.context,
      group,
      text: [line.text],
      shown: [{ no, text: line.text }],
      shownDone: false,
      passed: 1,
      tailCutAfter: raw.includes("BUG: KMSAN:") ? TAIL_CUT_AFTER_KMSAN : TAIL_CUT_AFTER,
      tailCut: false,
      nmiBacktrace: line.text.includes("Sending NMI from CPU"),
    };
    this.open.push(r);
    this.queue.push(r);
  }

  private add(r: OpenReport, no: number, line: ConsoleLine, raw: string): void {
    const mine = line.context === r.context || (r.nmiBacktrace && isCpuContext(line.context));
    if (mine && !r.shownDone && r.shown.length < MAX_SHOWN_LINES) r.shown.push({ no, text: line.text });
    if (mine && !line.questionable && !r.tailCut && !raw.includes("Disabling lock debugging due to kernel taint")) {
      r.passed++;
      if (
        r.passed > r.tailCutAfter &&
        (raw.includes("Kernel panic - not syncing") ||
          raw.includes("WARNING: possible circular locking dependency detected"))
      )
        r.tailCut = true;
      else {
        r.text.push(line.text);
        r.nmiBacktrace ||= line.text.includes("Sending NMI from CPU");
      }
    }
    if (r.text.length >= MAX_TEXT_LINES || no - r.startLine >= WINDOW_LINES) this.close(r);
  }

  private close(r: OpenReport): void {
    this.open = this.open.filter((o) => o !== r);
    r.splat = toSplat(r, this.emitted === 0 && this.queue[0] === r);
    while (this.queue[0]?.splat) {
      this.emit(this.queue.shift()!.splat!);
      this.emitted++;
    }
  }
}

/** Every kernel report in a console or dmesg text, in order of appearance. */
export function parseConsole(text: string): Splat[] {
  const splats: Splat[] = [];
  const scanner = new ConsoleScanner((s) => splats.push(s));
  scanner.write(text);
  scanner.end();
  return splats;
}

/**
 * Every report in a byte stream (a file, standard input), read chunk by chunk and handed
 * to `onSplat` as soon as its text is complete: memory stays at the reports being read,
 * whatever the log's size.
 */
export async function scanConsoleStream(stream: AsyncIterable<Buffer>, onSplat: (s: Splat) => void): Promise<void> {
  const scanner = new ConsoleScanner(onSplat);
  const decoder = new StringDecoder("utf8");
  for await (const chunk of stream) scanner.write(decoder.write(chunk));
  scanner.write(decoder.end());
  scanner.end();
}
