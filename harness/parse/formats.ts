/**
 * The kernel's report formats as data, in the manner of syzkaller's pkg/report: a header
 * that starts a report, the headline it gets, and where its guilty frame comes from.
 */
export type SplatKind = "lockdep" | "atomic-sleep" | "rcu" | "warning" | "bug" | "oops" | "hung-task" | "lockup" | "stall" | "panic";

export type GuiltySource =
  /** First interesting frame of the call trace. */
  | { from: "stack"; skipIrq?: boolean }
  /** The function in the "RIP: 0010:f+0x.." line, else the stack. */
  | { from: "rip" }
  /** The `at: f+0x..` of the lock the task "is trying to acquire", else the stack. */
  | { from: "lock-at" }
  /** A function named in the report's own text (capture group 1 of `re` on any line). */
  | { from: "line"; re: RegExp }
  /** Titles without a location, e.g. "BUG: workqueue lockup". */
  | { from: "none" };

export interface ReportFormat {
  kind: SplatKind;
  header: RegExp;
  /** The title's head; a function receives the header match and the report's lines. */
  headline: string | ((m: RegExpExecArray, lines: string[]) => string);
  guilty: GuiltySource;
  /**
   * false for reports that print no call trace by design (they end after their list of
   * held locks, and are not corrupted without a trace).
   */
  trace?: false;
}

/** Replace run-dependent numbers in text taken from the log, as syzkaller does. */
export function scrubNumbers(s: string): string {
  return s.replace(/\b0x[0-9a-f]+\b|\b[0-9a-f]{8,16}\b/gi, "ADDR").replace(/\b\d+\b/g, "NUM");
}

const FUNC = String.raw`([A-Za-z_][\w.$]*)\+0x[0-9a-f]+`;

export const FORMATS: ReportFormat[] = [
  // lockdep
  { kind: "lockdep", header: /^WARNING: possible circular locking dependency detected/, headline: "possible deadlock", guilty: { from: "lock-at" } },
  { kind: "lockdep", header: /^WARNING: possible recursive locking detected/, headline: "possible deadlock", guilty: { from: "lock-at" } },
  { kind: "lockdep", header: /^WARNING: inconsistent lock state/, headline: "inconsistent lock state", guilty: { from: "stack" } },
  { kind: "lockdep", header: /^WARNING: bad unlock balance detected!/, headline: "WARNING: bad unlock balance", guilty: { from: "stack" } },
  { kind: "lockdep", header: /^WARNING: held lock freed!/, headline: "BUG: held lock freed", guilty: { from: "stack" } },
  { kind: "lockdep", header: /^INFO: trying to register non-static key\./, headline: "INFO: trying to register non-static key", guilty: { from: "stack" } },
  { kind: "lockdep", header: /^WARNING: lock held when returning to user space!/, headline: "WARNING: lock held when returning to user space", guilty: { from: "line", re: new RegExp(`at: ${FUNC}`) }, trace: false },
  { kind: "lockdep", header: /^\[ BUG: Invalid wait context \]/, headline: "BUG: Invalid wait context", guilty: { from: "line", re: new RegExp(`at: ${FUNC}`) } },
  // RCU
  { kind: "rcu", header: /^(WARNING|INFO): suspicious RCU usage/, headline: (m) => `${m[1]}: suspicious RCU usage`, guilty: { from: "stack" } },
  { kind: "stall", header: /INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?/, headline: "INFO: rcu detected stall", guilty: { from: "stack", skipIrq: true } },
  // atomic context
  { kind: "atomic-sleep", header: /^BUG: sleeping function called from invalid context/, headline: "BUG: sleeping function called from invalid context", guilty: { from: "stack" } },
  { kind: "atomic-sleep", header: /^BUG: scheduling while atomic/, headline: "BUG: scheduling while atomic", guilty: { from: "stack" } },
  { kind: "atomic-sleep", header: /^BUG: using ([\w]+\(\)) in preemptible/, headline: (m) => `BUG: using ${m[1]} in preemptible [code] code`, guilty: { from: "line", re: new RegExp(`^caller is ${FUNC}`) } },
  { kind: "bug", header: /^BUG: workqueue leaked lock or atomic/, headline: "BUG: workqueue leaked lock or atomic", guilty: { from: "line", re: /last function: ([A-Za-z_][\w.]*)/ } },
  { kind: "bug", header: /^BUG: spinlock ([a-z][a-z ]*?) on CPU#\d+/, headline: (m) => `BUG: spinlock ${m[1]}`, guilty: { from: "stack" } },
  // hangs and lockups
  { kind: "hung-task", header: /^INFO: task .+:\d+ blocked for more than \d+ seconds/, headline: "INFO: task hung", guilty: { from: "stack" } },
  { kind: "lockup", header: /BUG: soft lockup - CPU#\d+ stuck/, headline: "BUG: soft lockup", guilty: { from: "stack", skipIrq: true } },
  { kind: "lockup", header: /^BUG: workqueue lockup - pool/, headline: "BUG: workqueue lockup", guilty: { from: "none" } },
  // faults
  { kind: "oops", header: /^BUG: kernel NULL pointer dereference/, headline: "BUG: unable to handle kernel NULL pointer dereference", guilty: { from: "rip" } },
  { kind: "oops", header: /^BUG: unable to handle (?:page fault for address|kernel paging request)/, headline: "BUG: unable to handle kernel paging request", guilty: { from: "rip" } },
  { kind: "oops", header: /^general protection fault/, headline: "general protection fault", guilty: { from: "rip" } },
  { kind: "bug", header: /^kernel BUG at \S+!/, headline: "kernel BUG", guilty: { from: "rip" } },
  {
    kind: "bug",
    header: new RegExp(`^BUG: KASAN: ([\\w-]+) in ${FUNC}`),
    headline: (m, lines) => `KASAN: ${m[1]} ${lines.map((l) => /^(Read|Write) of size/.exec(l)?.[1]).find(Boolean) ?? "Unknown"}`,
    guilty: { from: "line", re: new RegExp(`^BUG: KASAN: [\\w-]+ in ${FUNC}`) },
  },
  { kind: "bug", header: /^BUG: Bad page state/, headline: "BUG: Bad page state", guilty: { from: "none" } },
  {
    kind: "warning",
    header: new RegExp(`^WARNING: CPU: \\d+ PID: \\d+ at (\\S+) ${FUNC}`),
    headline: (m) => (/kernel\/locking\//.test(m[1]!) ? "WARNING: locking bug" : "WARNING"),
    // The function that warned (its RIP), unless it is a helper such as a lock primitive.
    guilty: { from: "rip" },
  },
  { kind: "panic", header: /^Kernel panic - not syncing: (.*)/, headline: (m) => `kernel panic: ${scrubNumbers(m[1]!.trim())}`, guilty: { from: "none" } },
];

/**
 * Frames that report, lock, debug, trace, allocate or schedule: never the guilty one.
 * Names are matched after compiler suffixes (.isra.N, .cold, ...) are removed.
 */
export const SKIP_FRAMES: RegExp[] = [
  /^dump_stack/, /^show_stack/, /^show_trace/, /^__dump_stack/, /^print_/, /^__print_/, /^printk/, /^_printk/, /^vprintk/,
  /^__might_sleep$/, /^__might_resched$/, /^___might_sleep$/, /^__might_fault$/, /^might_sleep/, /^__cant_sleep/, /^__schedule_bug$/,
  /^lock_acquire/, /^lock_release/, /^lock_is_held/, /^__lock_acquire/, /^lockdep_/, /^__lockdep_/, /^lock_acquired$/, /^lock_contended$/,
  /^check_(?:prev|noncircular|deadlock|irq|flags|wait_context|chain|path|unlock)/, /^validate_chain$/, /^mark_lock/, /^__bfs/, /^print_circular/, /^debug_/, /^do_raw_/, /^_raw_/, /^__raw_/,
  /spin_lock/, /spin_unlock/, /^__mutex_/, /^mutex_/,
  /^down_/, /^up_/, /^__down/, /^__up/, /^rwsem_/, /^percpu_down_/, /^percpu_up_/, /^__percpu_down_/, /^__percpu_up_/, /^percpu_rwsem_/,
  /^cpus_read_/, /^cpus_write_/, /^rcu_read_lock/, /^rcu_read_unlock/, /^__rcu_read_/, /^rcu_lockdep_/, /^lockdep_rcu_suspicious$/,
  /^warn_slowpath/, /^__warn/, /^report_bug$/, /^handle_bug$/, /^exc_invalid_op$/, /^asm_exc_/, /^do_error_trap/, /^do_trap$/,
  /^kasan_/, /^__kasan_/, /^kmalloc/, /^__kmalloc/, /^kfree/, /^kmem_cache_/, /^slab_/, /^___slab_alloc$/, /^__slab_alloc$/,
  /^__schedule$/, /^schedule/, /^preempt_schedule/, /^__cond_resched/, /^io_schedule/, /^__wait_/, /^wait_for_completion/, /^bit_wait/,
  /^out_of_line_wait_on_bit/, /^__folio_lock/, /^folio_wait_bit/, /^__wait_on_bit/, /^rwbase_/, /^rt_mutex/, /^__rt_mutex/,
  /^nmi_cpu_backtrace/, /^nmi_trigger_cpumask_backtrace/, /^arch_trigger_cpumask_backtrace/, /^trigger_/, /^rcu_dump_cpu_stacks/,
  /^asm_sysvec_/, /^sysvec_/, /^__sysvec_/, /^asm_common_interrupt/, /^common_interrupt/, /^irq_exit/, /^__irq_exit/,
  /^free_pages/, /^__free_pages/, /^free_unref_page/, /^free_pcp/, /^free_the_page$/, /^vfree/, /^kvfree/, /^__vunmap$/,
  /^register_lock_class$/, /^assign_lock_key$/, /^look_up_lock_class$/, /^check_preemption_disabled$/, /^__this_cpu_preempt_check$/,
  /^msleep/, /^ssleep$/, /^usleep_range/, /^udelay$/, /^__udelay$/, /^__const_udelay$/, /^delay_tsc$/, /^delay_halt/, /^__delay$/, /^mdelay$/,
  /^atomic(?:64)?_/, /^arch_atomic/, /^refcount_/, /^kref_/, /^(?:set|clear|test)_bit$/, /^mem(?:cpy|set|move|cmp)$/, /^str(?:cmp|len|cpy|scpy|ncpy)$/,
  /^panic$/, /^__stack_chk_fail/, /^__ubsan_/, /^ubsan_/, /^trace_/, /^__trace_/, /^ftrace_/, /^__traceiter_/,
];

/** Remove compiler and offset decorations: "mem_cgroup_wb_stats.cold+0x1/0x2" -> "mem_cgroup_wb_stats". */
export function cleanFrame(name: string): string {
  return name.replace(/\+0x[0-9a-f]+(?:\/0x[0-9a-f]+)?$/, "").replace(/(?:\.(?:isra|constprop|part|llvm|cold|lto_priv)(?:\.\d+)?)+$/, "");
}

export function isSkippedFrame(name: string): boolean {
  return SKIP_FRAMES.some((re) => re.test(name));
}
