// Titles, types and culprits of whole consoles are in test/corpus/ (corpus.test.ts); these
// tests cover what a corpus header does not: call paths, signatures, lines, streaming, and
// the parser's pure parts one by one.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { findCulprit, splatSignature } from "../../harness/parse/culprit.js";
import { signatureLabel } from "../../harness/parse/describe.js";
import { HEADER_GROUPS } from "../../harness/parse/formats.js";
import { cleanConsoleLine, normalizeTitle, splitConsoleLine } from "../../harness/parse/normalize.js";
import {
  headerGroupOf,
  mainTrace,
  parseConsole,
  reportEnd,
  scanConsoleStream,
  type Splat,
} from "../../harness/parse/parseConsole.js";
import { splatsOfRun } from "../../harness/parse/runSplats.js";
import { demangle, extractFrames, stripSyscallPrefix } from "../../harness/parse/stack.js";
import { titleType } from "../../harness/parse/title.js";

const fixture = (dir: string, name: string) =>
  readFileSync(path.join(import.meta.dirname, "..", "fixtures", dir, name), "utf8");
const memcg = (name: string) => fixture("linux-6.1-memcg", name);
const injected = (variant: string) => parseConsole(fixture("linux-6.1-injected", `${variant}-console.log`));

describe("parseConsole on real 6.1 consoles", () => {
  it("before: the RCU path through balance_dirty_pages comes first, the culprit past the hotplug lock", () => {
    const [first, second] = parseConsole(memcg("before-console.log"));
    expect(first).toMatchObject({
      kind: "rcu",
      type: "LOCKDEP",
      frame: "mem_cgroup_wb_stats",
      culprit: "mem_cgroup_wb_stats",
      primary: true,
      corrupted: false,
      startLine: 236,
    });
    expect(first!.callPath).toEqual([
      "mem_cgroup_wb_stats",
      "balance_dirty_pages",
      "balance_dirty_pages_ratelimited_flags",
      "generic_perform_write",
    ]);
    expect(first!.frames.slice(0, 4)).toEqual([
      "dump_stack_lvl",
      "lockdep_rcu_suspicious",
      "__might_resched",
      "cpus_read_lock",
    ]);
    // the report's lines end at </TASK>, user registers included
    expect(first!.lines.at(-1)?.trim()).toBe("</TASK>");
    expect(second!.primary).toBe(false);
  });

  it("before: the writeback worker path is told apart from the writer's by its call path", () => {
    const splats = parseConsole(memcg("before-console.log"));
    const worker = splats.find((s) => s.callPath.includes("wb_over_bg_thresh"))!;
    // syzkaller blames percpu_rwsem_wait; the culprit is the memcg function that took the hotplug lock.
    expect(worker).toMatchObject({
      title: "BUG: scheduling while atomic in percpu_rwsem_wait",
      culprit: "mem_cgroup_wb_stats",
    });
    expect(worker.callPath).toEqual(["mem_cgroup_wb_stats", "wb_over_bg_thresh", "wb_writeback", "wb_workfn"]);
    const writer = splats.find((s) => s.title === worker.title && s.callPath.includes("balance_dirty_pages"))!;
    expect(writer.signature).not.toBe(worker.signature);
  });

  it("repeats share a signature: one signature per kind, title head and call path", () => {
    const splats = parseConsole(memcg("before-console.log"));
    const bySig = new Map<string, Set<string>>();
    const head = (s: Splat) => (s.frame === undefined ? s.title : s.title.slice(0, s.title.lastIndexOf(" in ")));
    for (const s of splats)
      bySig.set(s.signature, (bySig.get(s.signature) ?? new Set()).add(`${s.kind}|${head(s)}|${s.callPath.join(",")}`));
    for (const keys of bySig.values()) expect(keys.size).toBe(1);
    expect(bySig.size).toBeLessThan(splats.length / 3);
  });

  it("fix-reorder: only the worker path, which holds wb->list_lock", () => {
    const splats = parseConsole(memcg("fix-reorder-console.log"));
    expect(splats[0]!.callPath).toEqual(["mem_cgroup_wb_stats", "wb_over_bg_thresh", "wb_writeback", "wb_workfn"]);
    expect(splats[0]!.lines.some((l) => l.includes("&wb->list_lock"))).toBe(true);
    expect(splats.some((s) => s.callPath.includes("balance_dirty_pages"))).toBe(false);
    expect(splats.some((s) => s.kind === "rcu")).toBe(false);
  });

  it(
    "before, a run that hung: " + "every RCU stall report is one stall, spinning in locked_inode_to_wb_and_lock_list",
    () => {
      const stalls = parseConsole(memcg("before-hang-console.log")).filter((s) => s.kind === "stall");
      // syzkaller names the frame above the write syscall when it has the interrupted stack, else "corrupted".
      expect(new Set(stalls.map((s) => s.title))).toEqual(
        new Set(["INFO: rcu detected stall in corrupted", "INFO: rcu detected stall in ext4_buffered_write_iter"]),
      );
      expect(new Set(stalls.map((s) => s.culprit))).toEqual(new Set(["locked_inode_to_wb_and_lock_list"]));
      expect(new Set(stalls.map((s) => s.signature)).size).toBe(1);
    },
  );

  it("dmesg read over SSH after the run gives the same signatures as the console", () => {
    const fromDmesg = new Set(
      parseConsole(memcg("before-dmesg.txt"))
        .filter((s) => !s.corrupted)
        .map((s) => s.signature),
    );
    const fromConsole = new Set(parseConsole(memcg("before-console.log")).map((s) => s.signature));
    for (const sig of fromDmesg) expect(fromConsole.has(sig)).toBe(true);
  });

  it("a run counts each signature as often as the richer of console and dmesg saw it, never the sum", () => {
    // The run's console as if its guest died at line 2400 (16.07 s), and the run's real dmesg: the
    // ring buffer from 14.98 s to the end, so each source holds reports the other lacks.
    const console = memcg("before-console.log").split("\n").slice(0, 2400).join("\n");
    const groups = splatsOfRun(console, memcg("before-dmesg.txt"));
    const countOf = (title: string) => groups.filter((g) => g.first.title === title).map((g) => g.count);
    // console 1, dmesg 23; console 24, dmesg 20; dmesg only.
    expect(countOf("BUG: sleeping function called from invalid context in mem_cgroup_wb_stats")).toEqual([23]);
    expect(countOf("BUG: scheduling while atomic in exit_to_user_mode_prepare")).toEqual([24]);
    expect(countOf("BUG: sleeping function called from invalid context in slob_alloc_node")).toEqual([1]);
    // Groups keep the console's order: its first report stays the run's first.
    expect(groups[0]!.first.title).toBe("WARNING: suspicious RCU usage in mem_cgroup_wb_stats");
  });

  it("injected bugs: call paths of lockdep reports start where the lock is taken", () => {
    expect(injected("lockdep-circular")[0]!.callPath).toEqual([
      "inject_lock_ba",
      "inject_thread",
      "kthread",
      "ret_from_fork",
    ]);
    // A lock state report from a timer runs in softirq: the interrupt frames are the report's.
    expect(injected("lockdep-inconsistent")[0]!.callPath).toEqual([
      "inject_timer_takes_lock",
      "call_timer_fn",
      "run_timer_softirq",
      "handle_softirqs",
    ]);
  });

  it("injected bugs: each hung-task check reports the same waiter with one signature", () => {
    const splats = injected("hung-task");
    expect(splats).toHaveLength(3);
    expect(new Set(splats.map((s) => s.signature)).size).toBe(1);
    expect(splats[0]!.callPath).toEqual(["bug_wait_for_held_mutex", "inject_thread", "kthread", "ret_from_fork"]);
  });

  it("a report cut off by the end of the log is corrupted", () => {
    const log = memcg("fix-reorder-console.log").split("\n").slice(0, 347).join("\n");
    expect(parseConsole(log).at(-1)).toMatchObject({
      corrupted: true,
      title: "BUG: sleeping function called from invalid context in corrupted",
    });
  });
});

describe("streaming", () => {
  it("a console split anywhere gives the same splats as the whole text", async () => {
    const text = memcg("fix-reorder-console.log");
    const chunks = [...text.matchAll(/[\s\S]{1,997}/g)].map((m) => Buffer.from(m[0]));
    const streamed: Splat[] = [];
    await scanConsoleStream(Readable.from(chunks), (s) => streamed.push(s));
    expect(streamed).toEqual(parseConsole(text));
  });

  it("reports of two printers come out in the order they started, the first one primary", () => {
    const log = [
      "[ 1.0][ T10] BUG: scheduling while atomic: a/10/0x00000002",
      "[ 1.1][ T11] BUG: scheduling while atomic: b/11/0x00000002",
      "[ 1.2][ T11] Call Trace:",
      "[ 1.3][ T11]  b_wait+0x1/0x2",
      "[ 1.4][ T10] Call Trace:",
      "[ 1.5][ T10]  a_wait+0x1/0x2",
      "[ 1.6][ T10]  a_caller+0x1/0x2",
    ].join("\n");
    expect(parseConsole(log).map((s) => [s.startLine, s.title, s.primary])).toEqual([
      [1, "BUG: scheduling while atomic in a_wait", true],
      [2, "BUG: scheduling while atomic in b_wait", false],
    ]);
  });

  it("a replayed message is not a new report", () => {
    const log =
      "[ 1.0] BUG: Bad rss-counter state mm:0000000012345678 type:MM_FILEPAGES val:1\n" +
      "[ 1.0] ** replaying previous printk message **\n";
    expect(parseConsole(log)).toEqual([]);
  });
});

describe("console lines", () => {
  it("caller ids are the line's context; timestamps alone are the console's; no timestamp is none", () => {
    expect(splitConsoleLine("[   12.345678][ T1234] BUG: x")).toEqual({
      context: "[ T1234]",
      text: "BUG: x",
      questionable: false,
    });
    expect(splitConsoleLine("[   12.345678][    C1]  ? foo+0x1/0x2")).toEqual({
      context: "[    C1]",
      text: " ? foo+0x1/0x2",
      questionable: true,
    });
    expect(splitConsoleLine("[   12.345678]  foo+0x1/0x2")).toMatchObject({ context: "console", text: " foo+0x1/0x2" });
    expect(splitConsoleLine("syzkaller login: [   12.3] BUG: y")).toMatchObject({ context: "console", text: "BUG: y" });
    expect(splitConsoleLine(" ? foo+0x1/0x2")).toEqual({ context: "", text: " ? foo+0x1/0x2", questionable: false });
  });

  it("ANSI escapes, overwritten text and dmesg levels go before the prefix is read", () => {
    expect(cleanConsoleLine("\x1b[0;31m[    1.0] BUG: x\x1b[0m\r")).toBe("[    1.0] BUG: x");
    expect(cleanConsoleLine("kern  :warn  : [    1.0] BUG: y")).toBe("[    1.0] BUG: y");
    expect(cleanConsoleLine("progress 50%\rWARNING: z")).toBe("WARNING: z");
  });

  it("a header counts anywhere in the line, unless a suppression says it is not a report", () => {
    expect(headerGroupOf("[ 1.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!", undefined)?.header).toBe("BUG:");
    expect(headerGroupOf("[ 1.0] ODEBUG: free active object type: timer_list", undefined)).toBeUndefined();
    expect(headerGroupOf("[ 1.0] INFO: lockdep is turned off.", undefined)).toBeUndefined();
    expect(headerGroupOf("[ 1.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:", undefined)?.header).toBe(
      "INFO:",
    );
  });

  it("every title regex starts with its header, so it is only tried where the header occurs", () => {
    for (const g of HEADER_GROUPS) {
      // "Booting the kernel." is matched without its dot.
      for (const f of g.formats)
        expect(f.title.source.replace(/^\^/, "").startsWith(g.header.replace(/\.$/, "")), f.fmt).toBe(true);
    }
  });
});

describe("frames and culprits", () => {
  it("syscall prefixes: the one that leaves the shortest name", () => {
    expect(stripSyscallPrefix("__se_sys_foo")).toBe("foo");
    expect(stripSyscallPrefix("__x64_sys_foo")).toBe("sys_foo");
    expect(stripSyscallPrefix("SyS_sendmmsg")).toBe("sendmmsg");
    expect(stripSyscallPrefix("vfs_write")).toBe("vfs_write");
  });

  it("C++ names lose their parameters", () => {
    expect(demangle("_Z8fakeNameiii")).toBe("fakeName");
    expect(demangle("_ZN2ns3fooEv")).toBe("ns::foo");
    expect(demangle("plain_name")).toBe("plain_name");
  });

  it("a stack walk: the RIP frame if it survives the skip list, else the first surviving call-trace frame", () => {
    const lines = [
      "WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2",
      "RIP: 0010:refcount_warn_saturate+0x1/0x2",
      "Call Trace:",
      " dump_stack+0x1/0x2",
      " my_put+0x1/0x2",
    ];
    const spec = HEADER_GROUPS[1]!.formats.find((f) => f.fmt === "WARNING: refcount bug in %1")!.stack!;
    expect(extractFrames(lines, spec)).toEqual({ frames: [{ name: "my_put", raw: "my_put" }], failed: false });
    expect(extractFrames(lines.slice(0, 3), spec)).toEqual({
      frames: [{ name: "corrupted", raw: "corrupted" }],
      failed: true,
    });
  });

  it("the culprit passes lock, hotplug and sleep helpers that syzkaller may name", () => {
    const frames = [
      "__might_sleep",
      "get_online_cpus",
      "mem_cgroup_read_stat",
      "mem_cgroup_page_stat",
      "global_dirty_limits",
      "throttle_vm_writeout",
    ];
    expect(findCulprit("get_online_cpus", frames)).toEqual({
      culprit: "mem_cgroup_read_stat",
      callPath: frames.slice(2, 6),
    });
    // syzkaller's "up_read" hides mem_cgroup_read_stat (it matches inside "cgroup_read"); the culprit's
    // word-start match does not.
    expect(findCulprit("mem_cgroup_page_stat", frames.slice(1)).culprit).toBe("mem_cgroup_read_stat");
    // A frame named outside the trace (the faulting PC) heads the path.
    expect(findCulprit("bad_fn", ["dump_stack", "caller_fn"]).callPath).toEqual(["bad_fn", "caller_fn"]);
    expect(findCulprit(undefined, [])).toEqual({ callPath: [] });
  });

  it("the signature ignores the title's frame but not the culprit's path", () => {
    const a = splatSignature("atomic-sleep", "BUG: x in cpus_read_lock", "cpus_read_lock", ["f", "g"]);
    expect(splatSignature("atomic-sleep", "BUG: x in corrupted", "corrupted", ["f", "g"])).toBe(a);
    expect(splatSignature("atomic-sleep", "BUG: x in cpus_read_lock", "cpus_read_lock", ["f", "h"])).not.toBe(a);
    expect(splatSignature("lockdep", "BUG: x in cpus_read_lock", "cpus_read_lock", ["f", "g"])).not.toBe(a);
  });

  it("the main trace runs from the first Call Trace to the next stack or </TASK>", () => {
    expect(
      mainTrace(["BUG: x", "Call Trace:", " <TASK>", " a+0x1/0x2", " b.isra.0+0x1/0x2", " </TASK>", " c+0x1/0x2"]),
    ).toEqual(["a", "b"]);
    expect(mainTrace(["Call Trace:", " a+0x1/0x2", "Allocated by task 1:", " b+0x1/0x2"])).toEqual(["a"]);
  });

  it("a report's shown lines end at </TASK>, at the end of a trace without markers, or after its held locks", () => {
    expect(reportEnd(["BUG: x", "Call Trace:", " <TASK>", " a+0x1/0x2", " </TASK>", "other"])).toBe(4);
    expect(reportEnd(["BUG: x", "Call Trace:", " a+0x1/0x2", " b+0x1/0x2", "other"])).toBe(3);
    expect(reportEnd(["WARNING: lock held", "1 lock held by x/1:", " #0: ffff (m), at: f+0x1/0x2", "other"])).toBe(2);
  });

  it("summaries name a signature by title and call path, the culprit first when syzkaller named another frame", () => {
    expect(signatureLabel({ title: "BUG: x in f", callPath: ["f", "g"] })).toBe("BUG: x in f (via g)");
    expect(signatureLabel({ title: "BUG: x in cpus_read_lock", callPath: ["f", "g"] })).toBe(
      "BUG: x in cpus_read_lock (via f <- g)",
    );
    expect(signatureLabel({ title: "BUG: x", callPath: [] })).toBe("BUG: x");
  });
});

describe("titles", () => {
  it("normalisation: numbers, addresses, offsets and file lines go; 120 bytes at most", () => {
    expect(normalizeTitle("BUG: weird thing 12345 at 0xffffffff81234567 foo_bar+0x12/0x34")).toBe(
      "BUG: weird thing NUM at ADDR foo_bar",
    );
    expect(normalizeTitle("kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)")).toBe(
      "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)",
    );
    expect(normalizeTitle("WARNING in net/core/dev.c:123  x\tCPU#3")).toBe("WARNING in net/core/dev.c:LINE x CPU");
    expect(normalizeTitle(`BUG: ${"x".repeat(200)}`)).toHaveLength(120);
  });

  it("types by title prefix, as syzkaller's table has them", () => {
    expect(titleType("BUG: using smp_processor_id() in preemptible code in f")).toBe("LOCKDEP");
    expect(titleType("BUG: sleeping function called from invalid context in f")).toBe("ATOMIC_SLEEP");
    expect(titleType("INFO: rcu detected stall in f")).toBe("HANG");
    expect(titleType("WARNING: ODEBUG bug in f")).toBe("WARNING");
    expect(titleType("BUG: MAX_STACK_TRACE_ENTRIES too low!")).toBe("UNKNOWN");
    expect(titleType("kernel panic: Fatal exception")).toBe("DoS");
  });
});
