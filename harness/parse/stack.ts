/**
 * Guilty-frame extraction: walks a report's lines along a format's stack spec and picks the
 * frame syzkaller would name (see formats.ts for the specs and lists).
 */
import {
  FRAME_LINES,
  HANG_WAIT_FRAMES,
  INJECTED_FAILURE_FRAME,
  SKIP_FRAMES,
  STACK_START,
  STALL_ANCHORS,
  SYSCALL_PREFIXES,
  type StackPart,
  type StackSpec,
} from "./formats.js";

/** A chosen frame: its name without a syscall prefix, and as printed. */
export interface PickedFrame {
  name: string;
  raw: string;
}

export interface ExtractedFrames {
  /** One per stack run of the spec; "corrupted" where none was found. */
  frames: PickedFrame[];
  /** Some run found no frame, or met a fault-injection frame. */
  failed: boolean;
}

/** A C++ symbol's plain name ("_Z8fakeNameiii" -> "fakeName", "_ZN2ns3fooEv" -> "ns::foo"); other names as they are. */
export function demangle(name: string): string {
  if (!name.startsWith("_Z")) return name;
  const nested = name[2] === "N";
  const parts: string[] = [];
  let at = nested ? 3 : 2;
  for (let len = /^\d+/.exec(name.slice(at)); len; len = nested ? /^\d+/.exec(name.slice(at)) : null) {
    at += len[0].length;
    parts.push(name.slice(at, at + Number(len[0])));
    at += Number(len[0]);
  }
  return parts.length > 0 ? parts.join("::") : name;
}

const CORRUPTED: PickedFrame = { name: "corrupted", raw: "corrupted" };

/**
 * The name with the one syscall prefix removed that leaves it shortest ("__se_sys_foo" -> "foo",
 * "__x64_sys_foo" -> "sys_foo").
 */
export function stripSyscallPrefix(name: string): string {
  let best = name;
  for (const p of SYSCALL_PREFIXES)
    if (name.startsWith(p) && name.length - p.length < best.length) best = name.slice(p.length);
  return best;
}

/** Tells whether a frame name is skipped; kernels have few distinct function names, so answers are remembered. */
export type SkipTest = (name: string) => boolean;

const MAX_REMEMBERED = 50_000;
export function rememberingTest(re: RegExp): SkipTest {
  const known = new Map<string, boolean>();
  return (name) => {
    let hit = known.get(name);
    if (hit === undefined) {
      if (known.size >= MAX_REMEMBERED) known.clear();
      known.set(name, (hit = re.test(name)));
    }
    return hit;
  };
}

const skipTests = new Map<string, SkipTest>();
/** The global skip list plus a format's own, as one test. */
export function skipTest(extra: readonly string[] = []): SkipTest {
  const key = extra.join("|");
  let test = skipTests.get(key);
  if (!test) skipTests.set(key, (test = rememberingTest(new RegExp([...SKIP_FRAMES, ...extra].join("|")))));
  return test;
}

/**
 * A stall is blamed on the frame just above where its stack meets a dispatcher (syscall entry, work item,
 * timer...).
 */
function pickStall(names: string[], raws: string[]): PickedFrame | undefined {
  const at = names.findIndex((n) => STALL_ANCHORS.test(n));
  if (at < 0) return undefined;
  if (names[at]!.includes("smp_call_function")) return { name: "smp_call_function", raw: raws[at]! };
  const i = Math.max(0, at - 1);
  return { name: names[i]!, raw: raws[i]! };
}

/**
 * A hung task is blamed on rtnl_lock or an RCU sync if it waits in one, else on the first frame that is not
 * a wait primitive.
 */
function pickHang(names: string[], raws: string[]): PickedFrame | undefined {
  for (let i = 0; i < names.length; i++) {
    if (names[i]!.includes("rtnl_lock")) return { name: names[i]!, raw: raws[i]! };
    if (/synchronize_(?:rcu|srcu|net|sched)/.test(names[i]!)) return { name: "synchronize_rcu", raw: raws[i]! };
  }
  const i = names.findIndex((n) => !HANG_WAIT_FRAMES.test(n));
  return i < 0 ? undefined : { name: names[i]!, raw: raws[i]! };
}

function pick(raws: string[], how: StackSpec["pick"]): PickedFrame | undefined {
  if (how === "stall") return pickStall(raws.map(stripSyscallPrefix), raws);
  if (how === "hang") return pickHang(raws.map(stripSyscallPrefix), raws);
  return raws.length > 0 ? { name: stripSyscallPrefix(raws[0]!), raw: raws[0]! } : undefined;
}

/** Frame names on one line of a stack run, or undefined when it is not a frame line. */
export function frameNamesOf(line: string): string[] | undefined {
  for (const re of FRAME_LINES) {
    const m = re.exec(line);
    if (m) return m.slice(1).filter((g): g is string => g !== undefined);
  }
  return undefined;
}

/**
 * One pass over the parts: a regex part finds its line (or uses up the text), a stack part reads frame
 * lines up to the next stack start.
 */
function walk(
  lines: readonly string[],
  parts: readonly StackPart[],
  skip: SkipTest,
  how: StackSpec["pick"],
): ExtractedFrames {
  const frames: PickedFrame[] = [];
  let failed = false;
  let candidates: string[] = [];
  const add = (names: (string | undefined)[]) => {
    for (const n of names) {
      const name = n === undefined ? undefined : demangle(n);
      if (name !== undefined && !skip(name)) candidates.push(name);
    }
  };
  const settle = () => {
    const f = pick(candidates, how);
    if (!f) failed = true;
    frames.push(f ?? CORRUPTED);
    candidates = [];
  };
  let i = 0;
  let runs = 0;
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part !== "stack") {
      for (; i < lines.length; i++) {
        const m = part.exec(lines[i]!);
        if (m) {
          add(m.slice(1));
          i++;
          break;
        }
      }
      continue;
    }
    if (runs++ > 0) settle();
    const next = parts[p + 1];
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      const injected = INJECTED_FAILURE_FRAME.test(line);
      if (injected) failed = true;
      if (injected || STACK_START.test(line)) {
        i++;
        break;
      }
      const m = next instanceof RegExp ? next.exec(line) : null;
      if (m) {
        add(m.slice(1));
        p++;
        i++;
        break;
      }
      add(frameNamesOf(line) ?? []);
    }
  }
  settle();
  return { frames, failed };
}

/** The frames a stack spec names in `lines` (the first line being the rest of the report's header line). */
export function extractFrames(lines: readonly string[], spec: StackSpec): ExtractedFrames {
  const skip = skipTest(spec.skip);
  const first = walk(lines, spec.parts, skip, spec.pick);
  if (!first.failed || !spec.fallback) return first;
  return walk(lines, spec.fallback, skip, spec.pick);
}
