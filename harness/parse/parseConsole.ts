import { sha256 } from "../core/hash.js";
import { cleanFrame, FORMATS, isSkippedFrame, type ReportFormat, type SplatKind } from "./formats.js";
import { normalizeConsole, type ConsoleLine } from "./normalize.js";

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

function guiltyFrame(format: ReportFormat, lines: string[], trace: Trace | undefined): string | undefined {
  const fromStack = () => {
    // Stall and lockup reports are printed from the timer interrupt: the interrupted
    // code after </IRQ> is what is stuck.
    const skipIrq = format.guilty.from === "stack" && format.guilty.skipIrq === true && trace?.frames.some((f) => !f.inIrq);
    return trace?.frames.find((f) => !f.unreliable && !(skipIrq && f.inIrq) && !isSkippedFrame(f.name))?.name;
  };
  const g = format.guilty;
  switch (g.from) {
    case "none":
      return undefined;
    case "stack":
      return fromStack();
    case "rip": {
      const rip = lines.map((l) => /^RIP: \w+:([A-Za-z_][\w.$]*)\+0x/.exec(l.trim())).find(Boolean);
      return rip ? cleanFrame(rip[1]!) : fromStack();
    }
    case "lock-at": {
      const i = lines.findIndex((l) => /is trying to acquire lock:/.test(l));
      const at = i >= 0 ? /at: ([A-Za-z_][\w.$]*)\+0x/.exec(lines[i + 1] ?? "") : null;
      const name = at ? cleanFrame(at[1]!) : undefined;
      return name && !isSkippedFrame(name) ? name : fromStack();
    }
    case "line": {
      for (const l of lines) {
        const m = g.re.exec(l.trim());
        if (m) return cleanFrame(m[1]!);
      }
      return fromStack();
    }
  }
}

/** Where the report that starts at `start` ends (exclusive), and whether the log cut it short. */
function reportEnd(all: ConsoleLine[], start: number): { end: number; cutShort: boolean } {
  let sawTrace = false;
  let inTask = false;
  const limit = Math.min(all.length, start + MAX_REPORT_LINES);
  for (let i = start + 1; i < limit; i++) {
    const text = all[i]!.text;
    const t = text.trim();
    if (matchHeader(text)) return { end: i, cutShort: !sawTrace };
    if (END_TRACE.test(t)) return { end: i + 1, cutShort: !sawTrace };
    if (/^Call Trace:/.test(t)) sawTrace = true;
    else if (sawTrace && t === "<TASK>") inTask = true;
    else if (sawTrace && t === "</TASK>") return { end: i + 1, cutShort: false };
    else if (sawTrace && !inTask && !FRAME.test(text) && !IRQ_MARKER.test(t) && FRAME.test(all[i - 1]!.text)) {
      return { end: i, cutShort: false };
    }
  }
  return { end: limit, cutShort: limit === all.length };
}

/** Every kernel report in a console or dmesg text, in order of appearance. */
export function parseConsole(text: string): Splat[] {
  const all = normalizeConsole(text);
  const splats: Splat[] = [];
  for (let i = 0; i < all.length; i++) {
    const hit = matchHeader(all[i]!.text);
    if (!hit) continue;
    const { end, cutShort } = reportEnd(all, i);
    const lines = all.slice(i, end).map((l) => l.text);
    const trace = readTrace(lines);
    const frame = guiltyFrame(hit.format, lines, trace);
    const headline = typeof hit.format.headline === "string" ? hit.format.headline : hit.format.headline(hit.m, lines);
    const wantsFrame = hit.format.guilty.from !== "none";
    const corrupted = wantsFrame && (cutShort || !trace?.complete || frame === undefined);
    const title = wantsFrame ? `${headline} in ${frame ?? "corrupted"}` : headline;
    const frames = (trace?.frames ?? []).filter((f) => !f.unreliable).map((f) => f.name);
    const from = frame ? frames.indexOf(frame) : -1;
    const callPath = from >= 0 ? frames.slice(from, from + CALL_PATH_DEPTH) : frame ? [frame] : [];
    splats.push({
      kind: hit.format.kind,
      title,
      ...(frame !== undefined && { frame }),
      frames,
      callPath,
      signature: sha256(hit.format.kind, title, ...callPath).slice(0, 16),
      corrupted,
      startLine: all[i]!.no,
      endLine: all[end - 1]!.no,
      lines,
    });
    i = end - 1;
  }
  return splats;
}
