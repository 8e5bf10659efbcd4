import { StringDecoder } from "node:string_decoder";
import { sha256 } from "../core/hash.js";
import { cleanFrame, FORMATS, isSkippedFrame, type ReportFormat, type SplatKind } from "./formats.js";
import { normalizeLine } from "./normalize.js";

export interface Splat {
  kind: SplatKind;
  /** syzkaller-style one-line title, e.g. "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats". */
  title: string;
  /** The guilty frame, or undefined when none could be chosen. */
  frame?: string;
  /** Reliable frames of the main call trace (`? ` frames dropped), innermost first. */
  frames: string[];
  /** The guilty frame and its next callers: the call path that tells two reports with one title apart. */
  callPath: string[];
  /** Dedup key: kind + title + call path. */
  signature: string;
  /** The report was cut short: no call trace, or the log ended inside it. */
  corrupted: boolean;
  startLine: number;
  endLine: number;
  lines: string[];
}

const CALL_PATH_DEPTH = 4;
const MAX_REPORT_LINES = 400;
const FRAME = /^\s*(\? )?([A-Za-z_][\w.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+)(?: \[\w+\])?$/;
const IRQ_MARKER = /^(?:<\/?(?:IRQ|NMI|SOFTIRQ)>|<EOI>)$/;
const END_TRACE = /^-+\[ end trace/;
/** A line of lockdep's held-locks list: " #0: ffff... (&lock){+.+.}-{3:3}, at: f+0x1/0x2". */
const HELD_LOCK = /^\s*#\d+: /;

function matchHeader(text: string): { format: ReportFormat; m: RegExpExecArray } | undefined {
  for (const format of FORMATS) {
    const m = format.header.exec(text);
    if (m) return { format, m };
  }
  return undefined;
}

interface Trace {
  /** Every frame with its context: unreliable (`? `) and inside an interrupt. */
  frames: { name: string; unreliable: boolean; inIrq: boolean }[];
  complete: boolean;
}

/** The report's main call trace: frames after "Call Trace:" up to </TASK> or the first non-frame line. */
function readTrace(lines: string[]): Trace | undefined {
  const start = lines.findIndex((l) => /^Call Trace:/.test(l.trim()));
  if (start < 0) return undefined;
  const frames: Trace["frames"] = [];
  let inIrq = false;
  let taskMarker = false;
  for (const raw of lines.slice(start + 1)) {
    const l = raw.trim();
    if (l === "<TASK>") {
      taskMarker = true;
      continue;
    }
    if (l === "</TASK>") return { frames, complete: true };
    if (IRQ_MARKER.test(l)) {
      inIrq = /^<(IRQ|NMI|SOFTIRQ)>$/.test(l);
      continue;
    }
    const f = FRAME.exec(raw);
    if (f) {
      frames.push({ name: cleanFrame(f[2]!), unreliable: Boolean(f[1]), inIrq });
      continue;
    }
    // Inside <TASK> the user-space registers follow the frames; without the markers
    // (older kernels) a non-frame line ends the trace.
    if (!taskMarker && frames.length > 0) return { frames, complete: true };
  }
  return { frames, complete: !taskMarker && frames.length > 0 };
}

/** The first function captured by `re` (group 1) on any of the report's lines. */
function functionOnLine(lines: string[], re: RegExp): string | undefined {
  for (const l of lines) {
    const m = re.exec(l.trim());
    if (m) return cleanFrame(m[1]!);
  }
  return undefined;
}

function guiltyFrame(format: ReportFormat, lines: string[], trace: Trace | undefined): string | undefined {
  const fromStack = () => {
    // Stall and lockup reports are printed from the timer interrupt: the interrupted
    // code after </IRQ> is what is stuck.
    const skipIrq = format.guilty.from === "stack" && format.guilty.skipIrq === true && trace?.frames.some((f) => !f.inIrq);
    return trace?.frames.find((f) => !f.unreliable && !(skipIrq && f.inIrq) && !isSkippedFrame(f.name))?.name;
  };
  // A function named by the report itself, unless it is a helper: then the stack decides.
  const namedOrStack = (name: string | undefined) => (name && !isSkippedFrame(name) ? name : fromStack());
  const g = format.guilty;
  switch (g.from) {
    case "none":
      return undefined;
    case "stack":
      return fromStack();
    case "rip":
      return namedOrStack(functionOnLine(lines, /^RIP: \w+:([A-Za-z_][\w.$]*)\+0x/));
    case "lock-at": {
      const i = lines.findIndex((l) => /is trying to acquire lock:/.test(l));
      const at = i >= 0 ? /at: ([A-Za-z_][\w.$]*)\+0x/.exec(lines[i + 1] ?? "") : null;
      return namedOrStack(at ? cleanFrame(at[1]!) : undefined);
    }
    case "line":
      return namedOrStack(functionOnLine(lines, g.re));
  }
}

/** Turn one report's lines into a Splat. */
function toSplat(format: ReportFormat, m: RegExpExecArray, lines: string[], startLine: number, endLine: number, cutShort: boolean): Splat {
  const trace = readTrace(lines);
  const frame = guiltyFrame(format, lines, trace);
  const headline = typeof format.headline === "string" ? format.headline : format.headline(m, lines);
  const wantsFrame = format.guilty.from !== "none";
  // Reports without a call trace by design (e.g. lock held on return to user space) are whole without one.
  const needsTrace = wantsFrame && format.trace !== false;
  // Reports titled without a frame (a workqueue lockup, a panic) need no trace to be whole.
  const corrupted = (needsTrace && (cutShort || !trace?.complete)) || (wantsFrame && frame === undefined);
  const title = wantsFrame ? `${headline} in ${frame ?? "corrupted"}` : headline;
  const frames = (trace?.frames ?? []).filter((f) => !f.unreliable).map((f) => f.name);
  const from = frame ? frames.indexOf(frame) : -1;
  // A frame named outside the trace (RIP, a lock's at:) is followed by the trace's callers.
  const callPath = from >= 0 ? frames.slice(from, from + CALL_PATH_DEPTH) : frame ? [frame, ...frames.filter((f) => !isSkippedFrame(f)).slice(0, CALL_PATH_DEPTH - 1)] : [];
  return {
    kind: format.kind,
    title,
    ...(frame !== undefined && { frame }),
    frames,
    callPath,
    signature: sha256(format.kind, title, ...callPath).slice(0, 16),
    corrupted,
    startLine,
    endLine,
    lines,
  };
}

interface OpenReport {
  format: ReportFormat;
  m: RegExpExecArray;
  startLine: number;
  lines: string[];
  sawTrace: boolean;
  inTask: boolean;
  lastWasFrame: boolean;
  lastWasHeldLock: boolean;
}

/**
 * Reads a console in chunks of any size, one line at a time, and emits each report when it
 * ends, so a log of any size is parsed holding only the report being read. A report ends
 * at the next report's header, at "---[ end trace", at </TASK>, at the first non-frame
 * line after a trace without task markers, or after MAX_REPORT_LINES lines.
 */
export class ConsoleScanner {
  private lineNo = 0;
  private pending = "";
  private open?: OpenReport;

  constructor(private readonly emit: (s: Splat) => void) {}

  write(chunk: string): void {
    const text = this.pending + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  /** The log ended: a last line without a newline still counts, and a report still open was cut short. */
  end(): void {
    if (this.pending.length > 0) this.line(this.pending);
    this.pending = "";
    if (this.open) this.close(this.lineNo, true);
  }

  private line(raw: string): void {
    const no = ++this.lineNo;
    const text = normalizeLine(raw);
    const r = this.open;
    const hit = matchHeader(text);
    if (r) {
      const t = text.trim();
      const isFrame = FRAME.test(text);
      const isHeldLock = HELD_LOCK.test(text);
      if (hit) this.close(no - 1, !r.sawTrace);
      else if (r.sawTrace && !r.inTask && r.lastWasFrame && !isFrame && !IRQ_MARKER.test(t)) this.close(no - 1, false);
      else if (r.format.trace === false && r.lastWasHeldLock && !isHeldLock) this.close(no - 1, false);
      else {
        r.lines.push(text);
        r.lastWasFrame = isFrame;
        r.lastWasHeldLock = isHeldLock;
        if (END_TRACE.test(t)) this.close(no, !r.sawTrace);
        else if (/^Call Trace:/.test(t)) r.sawTrace = true;
        else if (r.sawTrace && t === "<TASK>") r.inTask = true;
        else if (r.sawTrace && t === "</TASK>") this.close(no, false);
        else if (r.lines.length >= MAX_REPORT_LINES) this.close(no, false);
        return;
      }
    }
    if (hit) this.open = { ...hit, startLine: no, lines: [text], sawTrace: false, inTask: false, lastWasFrame: false, lastWasHeldLock: false };
  }

  private close(endLine: number, cutShort: boolean): void {
    const r = this.open!;
    this.open = undefined;
    this.emit(toSplat(r.format, r.m, r.lines, r.startLine, endLine, cutShort));
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
 * to `onSplat` as soon as it ends: memory stays at one report, whatever the log's size.
 */
export async function scanConsoleStream(stream: AsyncIterable<Buffer>, onSplat: (s: Splat) => void): Promise<void> {
  const scanner = new ConsoleScanner(onSplat);
  const decoder = new StringDecoder("utf8");
  for await (const chunk of stream) scanner.write(decoder.write(chunk));
  scanner.write(decoder.end());
  scanner.end();
}
