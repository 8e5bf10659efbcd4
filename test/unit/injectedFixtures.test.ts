import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConsole, type Splat } from "../../harness/parse/parseConsole.js";

const parse = (variant: string) => parseConsole(readFileSync(path.join(import.meta.dirname, "..", "fixtures", "linux-6.1-injected", `${variant}-console.log`), "utf8"));
const summary = (s: Splat) => ({ kind: s.kind, title: s.title, corrupted: s.corrupted });

// Real 6.1 consoles, one kernel per report family (see the fixtures' README). Expected
// titles were written by hand after reading each log.
describe("every report family, from real kernels with injected bugs", () => {
  it("clean: the same kernel with no bug enabled prints no report", () => {
    expect(parse("clean")).toEqual([]);
  });

  it.each([
    ["lockdep-circular", "possible deadlock in inject_lock_ba"],
    ["lockdep-recursive", "possible deadlock in bug_lock_same_class_twice"],
    ["lockdep-inconsistent", "inconsistent lock state in inject_timer_takes_lock"],
    ["lockdep-unlock", "WARNING: bad unlock balance in inject_thread"],
    ["lockdep-freed", "BUG: held lock freed in inject_thread"],
    ["lockdep-key", "INFO: trying to register non-static key in bug_lock_uninitialized"],
    ["lockdep-user", "WARNING: lock held when returning to user space in inject_write"],
    ["rcu", "WARNING: suspicious RCU usage in bug_rcu_deref_unlocked"],
    ["panic", "kernel panic: kharness: injected panic after NUM bugs"],
  ])("%s: %s", (variant, title) => {
    const splats = parse(variant);
    expect(splats.map((s) => s.title)).toEqual([title]);
    expect(splats[0]!.corrupted).toBe(false);
  });

  it("lockdep: the guilty frame of a circular dependency is where the second lock is taken", () => {
    const [s] = parse("lockdep-circular");
    expect(s!.lines).toContain("kharness-inject/71 is trying to acquire lock:");
    expect(s!.callPath).toEqual(["inject_lock_ba", "inject_thread", "kthread", "ret_from_fork"]);
    // A lock state report from a timer runs in softirq: the interrupt frames are the report's.
    expect(parse("lockdep-inconsistent")[0]!.callPath).toEqual(["inject_timer_takes_lock", "call_timer_fn", "run_timer_softirq", "handle_softirqs"]);
  });

  it("atomic context: preemptible per-CPU access, scheduling while atomic, and what follows", () => {
    expect(parse("atomic").map(summary)).toEqual([
      { kind: "atomic-sleep", title: "BUG: using smp_processor_id() in preemptible [code] code in bug_smp_processor_id_preemptible", corrupted: false },
      { kind: "atomic-sleep", title: "BUG: using __this_cpu_add() in preemptible [code] code in bug_this_cpu_preemptible", corrupted: false },
      { kind: "atomic-sleep", title: "BUG: scheduling while atomic in bug_sleep_with_preempt_off", corrupted: false },
      // preempt_enable() after the sleep trips DEBUG_PREEMPT's count check: a real second report.
      { kind: "warning", title: "WARNING in preempt_count_sub", corrupted: false },
      { kind: "atomic-sleep", title: "BUG: sleeping function called from invalid context in bug_mutex_under_spinlock", corrupted: false },
    ]);
  });

  it("lockups: soft lockup and RCU stall name the spinning work item; the workqueue lockup names the pool only", () => {
    const splats = parse("lockup");
    expect([...new Set(splats.map((s) => s.title))]).toEqual([
      "BUG: soft lockup in inject_spin_with_preempt_off",
      "INFO: rcu detected stall in inject_spin_with_preempt_off",
      "BUG: workqueue lockup",
    ]);
    const soft = splats.filter((s) => s.kind === "lockup" && s.frame);
    expect(new Set(soft.map((s) => s.signature)).size).toBe(1);
    expect(splats.every((s) => !s.corrupted)).toBe(true);
  });

  it("hung task: the waiter blocked on a mutex, reported each check with one signature", () => {
    const splats = parse("hung-task");
    expect(splats.map((s) => s.title)).toEqual(Array(3).fill("INFO: task hung in bug_wait_for_held_mutex"));
    expect(new Set(splats.map((s) => s.signature)).size).toBe(1);
    expect(splats[0]!.callPath).toEqual(["bug_wait_for_held_mutex", "inject_thread", "kthread", "ret_from_fork"]);
  });

  it("faults: a locking-debug WARN, WARN_ON, BUG_ON, NULL, unmapped and non-canonical pointers, a bad page", () => {
    expect(parse("faults").map(summary)).toEqual([
      { kind: "warning", title: "WARNING: locking bug in inject_thread", corrupted: false },
      { kind: "warning", title: "WARNING in bug_warn_on", corrupted: false },
      { kind: "bug", title: "kernel BUG in bug_bug_on", corrupted: false },
      { kind: "oops", title: "BUG: unable to handle kernel NULL pointer dereference in bug_null_deref", corrupted: false },
      { kind: "oops", title: "BUG: unable to handle kernel paging request in bug_unmapped_read", corrupted: false },
      { kind: "oops", title: "general protection fault in bug_noncanonical_read", corrupted: false },
      { kind: "bug", title: "BUG: Bad page state", corrupted: false },
    ]);
  });
});
