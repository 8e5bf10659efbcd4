/**
 * kharness's own view of a report, kept apart from syzkaller's title: the culprit (the
 * frame a developer would fix), its call path, the kind, and the signature verdicts dedup on.
 */
import { sha256 } from "../core/hash.js";
import { HANG_WAIT_FRAMES, NOTICING_FRAMES, SKIP_FRAMES, type SplatKind, type StackSpec } from "./formats.js";
import { rememberingTest, skipTest, stripSyscallPrefix, type SkipTest } from "./stack.js";

const CALL_PATH_DEPTH = 4;

const culpritSkips = new Map<string, SkipTest>();
/**
 * syzkaller's skip list, the title format's and NOTICING_FRAMES. syzkaller matches its
 * patterns anywhere in a name, so "up_read" also hides mem_cgroup_read_stat: here a global
 * pattern must start where a word of the name does (not after a lowercase letter), and a
 * format's pattern (e.g. "preempt", meant for check_preemption_disabled) where the name does.
 */
function culpritSkip(formatSkip: readonly string[]): SkipTest {
  const key = formatSkip.join("|");
  let re = culpritSkips.get(key);
  if (!re) {
    const anchored = (p: string, start: string) => (p.startsWith("^") ? `(?:${p})` : `${start}(?:${p})`);
    const patterns = [
      ...SKIP_FRAMES.map((p) => anchored(p, "(?<![a-z])")),
      ...formatSkip.map((p) => anchored(p, "^_*")),
      ...NOTICING_FRAMES,
    ];
    culpritSkips.set(key, (re = rememberingTest(new RegExp(patterns.join("|")))));
  }
  return re;
}

export interface Culprit {
  culprit?: string;
  /** The culprit and its next callers, innermost first. */
  callPath: string[];
}

/**
 * The culprit is syzkaller's frame unless that is a frame kharness never blames (a lock,
 * hotplug or sleep-check helper): then the first caller that is not.
 * `frames` is the main call trace, `stack` the title format's stack spec (its skip list and picker).
 */
export function findCulprit(frame: string | undefined, frames: readonly string[], stack?: StackSpec): Culprit {
  const formatSkip = stack?.skip ?? [];
  const skip = culpritSkip(formatSkip);
  const blamable = (f: string) => !skip(f);
  const path = (i: number) => ({ culprit: frames[i]!, callPath: frames.slice(i, i + CALL_PATH_DEPTH) });
  const named = frame === "corrupted" ? undefined : frame;
  const at = named === undefined ? -1 : frames.findIndex((f) => f === named || stripSyscallPrefix(f) === named);
  if (named !== undefined && at < 0 && blamable(named)) {
    // Named outside the trace (the faulting PC, a lock's at:): its callers follow from the trace.
    return { culprit: named, callPath: [named, ...frames.filter(blamable).slice(0, CALL_PATH_DEPTH - 1)] };
  }
  const stalled = stack?.pick === "stall" ? stalledCode(frames, at, blamable) : undefined;
  if (stalled) return stalled;
  // The callees syzkaller passed over just before its frame may only look like helpers to
  // it (bug_lock_uninitialized has "lock" in it, a hung task's bug_wait_for_x has "wait"):
  // the nearest one kharness blames wins.
  const syzkallerSkips = skipTest(formatSkip);
  const passedOver = (f: string) => syzkallerSkips(f) || (stack?.pick === "hang" && HANG_WAIT_FRAMES.test(f));
  for (let i = at - 1; i >= 0 && passedOver(frames[i]!); i--) if (blamable(frames[i]!)) return path(i);
  const from = frames.findIndex((f, i) => i >= Math.max(at, 0) && blamable(f));
  if (from >= 0) return path(from);
  return named === undefined ? { callPath: [] } : { culprit: named, callPath: [named] };
}

const INTERRUPT_ENTRY = /apic_timer_interrupt|^el1h_64_irq|^irq_exit|^common_interrupt/;

/**
 * syzkaller blames a stall on the frame above its dispatcher (the syscall, the work item);
 * the culprit is the code that was spinning: the first frame kharness blames after the
 * timer interrupt's entry, up to syzkaller's frame.
 */
function stalledCode(frames: readonly string[], at: number, blamable: (f: string) => boolean): Culprit | undefined {
  let entry = -1;
  for (let i = 0; i < frames.length && (at < 0 || i < at); i++) if (INTERRUPT_ENTRY.test(frames[i]!)) entry = i;
  const from = frames.findIndex((f, i) => i > entry && (at < 0 || i <= at) && blamable(f));
  return from < 0 ? undefined : { culprit: frames[from]!, callPath: frames.slice(from, from + CALL_PATH_DEPTH) };
}

/**
 * Dedup key of a report: its kind, its title without the frame, and the culprit's call
 * path. Two reports of one bug share it even when syzkaller's frame differs (a cut-off
 * report titled "in corrupted"), and a bug reached by two paths gets two.
 */
export function splatSignature(
  kind: SplatKind,
  title: string,
  frame: string | undefined,
  callPath: readonly string[],
): string {
  const headline = frame === undefined ? title : title.slice(0, title.lastIndexOf(" in "));
  return sha256(kind, headline, ...callPath).slice(0, 16);
}

/** kharness's coarse families, by title. */
const KINDS: [RegExp, SplatKind][] = [
  [/suspicious RCU usage/, "rcu"],
  [/^BUG: (?:scheduling while atomic|sleeping function|using )/, "atomic-sleep"],
  [
    new RegExp(
      "^(?:possible deadlock|inconsistent lock state|" +
        "(?:BUG|WARNING): (?:bad unlock|held lock|still has locks|lock held|locking bug|nested lock)|" +
        "INFO: trying to register)",
    ),
    "lockdep",
  ],
  [/^INFO: task /, "hung-task"],
  [/^(?:BUG: soft lockup|BUG: workqueue lockup)/, "lockup"],
  [/^INFO: rcu detected stall/, "stall"],
  [/^WARNING/, "warning"],
  [
    new RegExp(
      "^(?:BUG: unable to handle|general protection fault|stack segment|Unhandled fault|Internal error|" +
        "Alignment trap|divide error|invalid opcode|int3|PANIC: double fault)",
    ),
    "oops",
  ],
  [/^(?:kernel panic|kernel stack overflow|panic:)/, "panic"],
];

export function kindOf(title: string): SplatKind {
  return KINDS.find(([re]) => re.test(title))?.[1] ?? "bug";
}
