import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConsole } from "../../harness/parse/parseConsole.js";
import { normalizeLine } from "../../harness/parse/normalize.js";
import { splatsOfRun } from "../../harness/parse/runSplats.js";
import { cleanFrame } from "../../harness/parse/formats.js";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "..", "fixtures", "linux-6.1-memcg", name), "utf8");
const unique = <T>(xs: T[]) => [...new Set(xs)];

// Consoles captured by this harness from Debian's 6.1.192 with the shared PoC patches
// (4 vCPUs, TCG). Expected titles were written after reading each log.
describe("parseConsole on real 6.1 consoles", () => {
  it("before: the RCU path through balance_dirty_pages, in the order printed", () => {
    const splats = parseConsole(fixture("before-console.log"));
    expect(splats.slice(0, 3).map((s) => s.title)).toEqual([
      "WARNING: suspicious RCU usage in mem_cgroup_wb_stats",
      "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats",
      "BUG: scheduling while atomic in mem_cgroup_wb_stats",
    ]);
    const first = splats[0]!;
    expect(first).toMatchObject({ kind: "rcu", frame: "mem_cgroup_wb_stats", corrupted: false, startLine: 236 });
    expect(first.callPath).toEqual(["mem_cgroup_wb_stats", "balance_dirty_pages", "balance_dirty_pages_ratelimited_flags", "generic_perform_write"]);
    expect(first.frames.slice(0, 4)).toEqual(["dump_stack_lvl", "lockdep_rcu_suspicious", "__might_resched", "cpus_read_lock"]);
    // the report ends at </TASK>, user registers included
    expect(first.lines.at(-1)?.trim()).toBe("</TASK>");
  });

  it("before: the writeback worker path and its aftermath are reported too", () => {
    const splats = parseConsole(fixture("before-console.log"));
    const worker = splats.find((s) => s.callPath.includes("wb_over_bg_thresh"))!;
    expect(worker.title).toBe("BUG: scheduling while atomic in mem_cgroup_wb_stats");
    expect(worker.callPath).toEqual(["mem_cgroup_wb_stats", "wb_over_bg_thresh", "wb_writeback", "wb_workfn"]);
    const titles = unique(splats.map((s) => s.title));
    expect(titles).toContain("BUG: workqueue leaked lock or atomic in wb_workfn");
    expect(titles).toContain("BUG: scheduling while atomic in worker_thread");
    expect(splats.every((s) => !s.title.includes("in corrupted"))).toBe(true);
  });

  it("repeats share a signature: one signature per title and call path", () => {
    const splats = parseConsole(fixture("before-console.log"));
    const bySig = new Map<string, Set<string>>();
    for (const s of splats) bySig.set(s.signature, (bySig.get(s.signature) ?? new Set()).add(`${s.title}|${s.callPath.join(",")}`));
    for (const keys of bySig.values()) expect(keys.size).toBe(1);
    expect(bySig.size).toBeLessThan(splats.length / 3);
  });

  it("fix-reorder: only the worker path, which holds wb->list_lock", () => {
    const splats = parseConsole(fixture("fix-reorder-console.log"));
    expect(splats.slice(0, 4).map((s) => s.title)).toEqual([
      "BUG: sleeping function called from invalid context in mem_cgroup_wb_stats",
      "BUG: scheduling while atomic in mem_cgroup_wb_stats",
      "BUG: workqueue leaked lock or atomic in wb_workfn",
      "BUG: scheduling while atomic in worker_thread",
    ]);
    expect(splats[0]!.callPath).toEqual(["mem_cgroup_wb_stats", "wb_over_bg_thresh", "wb_writeback", "wb_workfn"]);
    expect(splats[0]!.lines.some((l) => l.includes("&wb->list_lock"))).toBe(true);
    expect(splats.some((s) => s.callPath.includes("balance_dirty_pages"))).toBe(false);
    expect(splats.some((s) => s.kind === "rcu")).toBe(false);
  });

  it("fix-drop-lock: a full boot and workload console with no report at all", () => {
    expect(parseConsole(fixture("fix-drop-lock-console.log"))).toEqual([]);
  });

  it("before, a run that hung: spinlock recursion, RCU stalls and hung tasks", () => {
    const splats = parseConsole(fixture("before-hang-console.log"));
    const at = (line: number) => splats.find((s) => s.startLine === line)!;
    expect(at(1353)).toMatchObject({ kind: "bug", title: "BUG: spinlock cpu recursion in locked_inode_to_wb_and_lock_list", corrupted: false });
    expect(at(3336)).toMatchObject({ kind: "stall", title: "INFO: rcu detected stall in locked_inode_to_wb_and_lock_list" });
    expect(at(3444)).toMatchObject({ kind: "hung-task", title: "INFO: task hung in cpuhp_kick_ap" });
    // The stall seen from another CPU (NMI backtrace through the timer interrupt) is the same stall.
    const detected = at(3623);
    expect(detected.title).toBe("INFO: rcu detected stall in locked_inode_to_wb_and_lock_list");
    expect(detected.signature).toBe(at(3336).signature);
    const titles = new Set(splats.map((s) => s.title));
    expect(titles).toContain("INFO: task hung in mem_cgroup_wb_stats");
    expect([...titles].some((t) => /sysvec|in corrupted/.test(t))).toBe(false);
  });

  it("dmesg read over SSH after the run gives the same signatures as the console", () => {
    const fromDmesg = new Set(parseConsole(fixture("before-dmesg.txt")).filter((s) => !s.corrupted).map((s) => s.signature));
    const fromConsole = new Set(parseConsole(fixture("before-console.log")).map((s) => s.signature));
    for (const sig of fromDmesg) expect(fromConsole.has(sig)).toBe(true);
  });

  it("a run counts each signature once per source, as often as the richer source saw it", () => {
    const groups = splatsOfRun(fixture("fix-reorder-console.log"), fixture("fix-reorder-console.log"));
    const direct = parseConsole(fixture("fix-reorder-console.log"));
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(direct.length);
  });
});

describe("console noise", () => {
  it("strips timestamps, caller ids, ANSI escapes and carriage returns", () => {
    expect(normalizeLine("[   10.413289] WARNING: suspicious RCU usage")).toBe("WARNING: suspicious RCU usage");
    expect(normalizeLine("[   10.413289][    T80] BUG: scheduling while atomic: dd/80/0x00000002")).toBe("BUG: scheduling while atomic: dd/80/0x00000002");
    expect(normalizeLine("\x1b[0;31m[    1.0] BUG: x\x1b[0m\r")).toBe("BUG: x");
    expect(normalizeLine("kern  :warn  : [    1.0] BUG: y")).toBe("BUG: y");
    expect(normalizeLine("progress 50%\rWARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2")).toBe("WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2");
  });

  it("removes compiler suffixes from frames", () => {
    expect(cleanFrame("rcu_lock_acquire.constprop.0+0x7/0x25")).toBe("rcu_lock_acquire");
    expect(cleanFrame("__might_resched.cold+0xf6/0x10b")).toBe("__might_resched");
    expect(cleanFrame("foo.isra.3.part.1")).toBe("foo");
  });

  it("a report cut off by the end of the log is corrupted", () => {
    const log = fixture("fix-reorder-console.log").split("\n").slice(0, 357).join("\n");
    const last = parseConsole(log).at(-1)!;
    expect(last.corrupted).toBe(true);
    expect(last.title).toBe("BUG: sleeping function called from invalid context in mem_cgroup_wb_stats");
    const noStack = parseConsole("[ 1.0] BUG: sleeping function called from invalid context at x.c:1\n[ 1.1] in_atomic(): 1\n");
    expect(noStack[0]).toMatchObject({ corrupted: true, title: "BUG: sleeping function called from invalid context in corrupted" });
  });

  it("driver lines that merely mention BUG or WARNING are not reports", () => {
    const log = ["[ 1.0] usb 1-1: WARNING: device descriptor read failed", "[ 1.1] foo: BUG flag set on queue", "[ 1.2] CPU: 0 PID: 1 Comm: swapper Not tainted 6.1.192", "[ 1.3] lockdep: fixed: 42 locks"].join("\n");
    expect(parseConsole(log)).toEqual([]);
  });

  it("unreliable ? frames never become the guilty frame", () => {
    const log = [
      "[ 2.0] WARNING: CPU: 1 PID: 7 at mm/x.c:10 helper+0x1/0x2",
      "[ 2.0] Call Trace:",
      "[ 2.0]  <TASK>",
      "[ 2.0]  ? bogus_frame+0x1/0x2",
      "[ 2.0]  __warn+0x1/0x2",
      "[ 2.0]  real_caller+0x5/0x9",
      "[ 2.0]  </TASK>",
    ].join("\n");
    expect(parseConsole(log)[0]).toMatchObject({ title: "WARNING in real_caller", corrupted: false });
  });

  it("a report interleaved with other CPUs' lines keeps its title and frames", () => {
    const log = [
      "[ 3.0] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580",
      "[ 3.0] in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 70, name: worker",
      "[ 3.0] Call Trace:",
      "[ 3.0]  <TASK>",
      "[ 3.0]  dump_stack_lvl+0x4c/0x5f",
      "[ 3.1] virtio_net virtio0 eth0: link up",
      "[ 3.1]  __might_resched+0x1f1/0x20c",
      "[ 3.1] [    C2] random: crng init done",
      "[ 3.1]  __mutex_lock+0xb2/0x3c2",
      "[ 3.1]  my_driver_probe+0x1c/0x34",
      "[ 3.1]  </TASK>",
    ].join("\n");
    const [s] = parseConsole(log);
    expect(s).toMatchObject({ title: "BUG: sleeping function called from invalid context in my_driver_probe", corrupted: false, endLine: 11 });
    expect(s!.frames).toEqual(["dump_stack_lvl", "__might_resched", "__mutex_lock", "my_driver_probe"]);
  });

  it("lockdep's boot self-test prints no report", () => {
    const log = [
      "[ 0.1] ------------------------",
      "[ 0.1] | Locking API testsuite:",
      "[ 0.1] ----------------------------------------------------------------------------",
      "[ 0.1]                                  | spin |wlock |rlock |mutex | wsem | rsem |",
      "[ 0.1]   --------------------------------------------------------------------------",
      "[ 0.1]                      A-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |",
      "[ 0.1]                  A-B-B-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |",
      "[ 0.1]   hard-irqs-on + irq-safe-A/12:  ok  |  ok  |  ok  |",
      "[ 0.2] Good, all 261 testcases passed! |",
      "[ 0.2] ---------------------------------",
    ].join("\n");
    expect(parseConsole(log)).toEqual([]);
  });

  it("older and rarer headers: INFO: suspicious RCU usage, expedited stalls, invalid wait context, panic reasons", () => {
    expect(parseConsole("[ 1.0] INFO: suspicious RCU usage.\n[ 1.0] Call Trace:\n[ 1.0]  foo_bar+0x1/0x2\n[ 1.0] next line")[0]).toMatchObject({ title: "INFO: suspicious RCU usage in foo_bar", corrupted: false });
    expect(parseConsole("[ 9.0] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21 jiffies s: 1 root: 0x2/.")[0]!.kind).toBe("stall");
    const wait = [
      "[ 2.0] =============================",
      "[ 2.0] [ BUG: Invalid wait context ]",
      "[ 2.0] 6.1.192 #2 Not tainted",
      "[ 2.0] -----------------------------",
      "[ 2.0] kharness-inject/71 is trying to lock:",
      "[ 2.0] ffffffff81d79508 (inject_inner_mutex){+.+.}-{3:3}, at: bug_mutex_under_spinlock+0x1c/0x34",
      "[ 2.0] Call Trace:",
      "[ 2.0]  <TASK>",
      "[ 2.0]  dump_stack_lvl+0x4c/0x5f",
      "[ 2.0]  __lock_acquire+0xddf/0x1142",
      "[ 2.0]  bug_mutex_under_spinlock+0x1c/0x34",
      "[ 2.0]  </TASK>",
    ].join("\n");
    expect(parseConsole(wait)[0]).toMatchObject({ kind: "lockdep", title: "BUG: Invalid wait context in bug_mutex_under_spinlock" });
    expect(parseConsole("[ 1.5] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")[0]!.title).toBe(
      "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)",
    );
  });

  // Written in the format of mm/kasan/report.c (6.1); this harness's kernels are built
  // without KASAN, so no captured log has one.
  it("KASAN: the bug type, the access and the function", () => {
    const log = [
      "[ 5.0] ==================================================================",
      "[ 5.0] BUG: KASAN: slab-out-of-bounds in copy_data.isra.0+0x41/0x90",
      "[ 5.0] Write of size 8 at addr ffff888003c1a7f8 by task sh/81",
      "[ 5.0] ",
      "[ 5.0] CPU: 1 PID: 81 Comm: sh Not tainted 6.1.192 #1",
      "[ 5.0] Call Trace:",
      "[ 5.0]  <TASK>",
      "[ 5.0]  dump_stack_lvl+0x4c/0x5f",
      "[ 5.0]  print_report+0x171/0x472",
      "[ 5.0]  kasan_report+0xad/0x130",
      "[ 5.0]  copy_data.isra.0+0x41/0x90",
      "[ 5.0]  </TASK>",
    ].join("\n");
    expect(parseConsole(log)[0]).toMatchObject({ kind: "bug", title: "KASAN: slab-out-of-bounds Write in copy_data", frame: "copy_data" });
  });
});

