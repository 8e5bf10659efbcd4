/**
 * kharness's own view of a report, kept apart from syzkaller's title: the culprit (the
 * frame a developer would fix), its call path, the kind, and the signature verdicts dedup on.
 */
import { sha256 } from "../core/hash.js";
import { LOCK_HELPER_FRAMES, SKIP_FRAMES, type SplatKind } from "./formats.js";
import { rememberingTest, stripSyscallPrefix, type SkipTest } from "./stack.js";

const CALL_PATH_DEPTH = 4;

const culpritSkips = new Map<string, SkipTest>();
/**
 * syzkaller's skip list plus a format's and the lock helpers. syzkaller matches its
 * patterns anywhere in a name, so "up_read" also hides mem_cgroup_read_stat; here a
 * pattern must start where a word of the name does (not after a lowercase letter).
 */
function culpritSkip(formatSkip: readonly string[]): SkipTest {
  const key = formatSkip.join("|");
  let re = culpritSkips.get(key);
  if (!re) {
    const atWordStart = [...SKIP_FRAMES, ...formatSkip, ...LOCK_HELPER_FRAMES].map((p) => (p.startsWith("^") ? `(?:${p})` : `(?<![a-z])(?:${p})`));
    culpritSkips.set(key, (re = rememberingTest(new RegExp(atWordStart.join("|")))));
  }
  return re;
}

export interface Culprit {
  culprit?: string;
  /** The culprit and its next callers, innermost first. */
  callPath: string[];
}

/**
 * The culprit is syzkaller's frame unless that is a frame syzkaller or kharness never
 * blames (a lock, hotplug or sleep-check helper): then the first caller that is not.
 * `frames` is the main call trace, `formatSkip` the title format's own skip list.
 */
export function findCulprit(frame: string | undefined, frames: readonly string[], formatSkip: readonly string[] = []): Culprit {
  const skip = culpritSkip(formatSkip);
  const blamable = (f: string) => !skip(f);
  const named = frame === "corrupted" ? undefined : frame;
  const at = named === undefined ? -1 : frames.findIndex((f) => f === named || stripSyscallPrefix(f) === named);
  if (named !== undefined && at < 0 && blamable(named)) {
    // Named outside the trace (the faulting PC, a lock's at:): its callers follow from the trace.
    return { culprit: named, callPath: [named, ...frames.filter(blamable).slice(0, CALL_PATH_DEPTH - 1)] };
  }
  const from = frames.findIndex((f, i) => i >= Math.max(at, 0) && blamable(f));
  if (from < 0) return named === undefined ? { callPath: [] } : { culprit: named, callPath: [named] };
  return { culprit: frames[from]!, callPath: frames.slice(from, from + CALL_PATH_DEPTH) };
}

/**
 * Dedup key of a report: its kind, its title without the frame, and the culprit's call
 * path. Two reports of one bug share it even when syzkaller's frame differs (a cut-off
 * report titled "in corrupted"), and a bug reached by two paths gets two.
 */
export function splatSignature(kind: SplatKind, title: string, frame: string | undefined, callPath: readonly string[]): string {
  const headline = frame === undefined ? title : title.slice(0, title.lastIndexOf(" in "));
  return sha256(kind, headline, ...callPath).slice(0, 16);
}

/** kharness's coarse families, by title. */
const KINDS: [RegExp, SplatKind][] = [
  [/suspicious RCU usage/, "rcu"],
  [/^BUG: (?:scheduling while atomic|sleeping function|using )/, "atomic-sleep"],
  [/^(?:possible deadlock|inconsistent lock state|(?:BUG|WARNING): (?:bad unlock|held lock|still has locks|lock held|locking bug|nested lock)|INFO: trying to register)/, "lockdep"],
  [/^INFO: task /, "hung-task"],
  [/^(?:BUG: soft lockup|BUG: workqueue lockup)/, "lockup"],
  [/^INFO: rcu detected stall/, "stall"],
  [/^WARNING/, "warning"],
  [/^(?:BUG: unable to handle|general protection fault|stack segment|Unhandled fault|Internal error|Alignment trap|divide error|invalid opcode|int3|PANIC: double fault)/, "oops"],
  [/^(?:kernel panic|kernel stack overflow|panic:)/, "panic"],
];

export function kindOf(title: string): SplatKind {
  return KINDS.find(([re]) => re.test(title))?.[1] ?? "bug";
}
