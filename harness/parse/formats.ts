/**
 * The kernel's report formats as data, following syzkaller's Linux rules (pkg/report, as
 * described in ../shared/syzkaller-report-facts.md): the header strings that start a
 * report, and for each header the formats that title it, where their guilty frame comes
 * from and which frames they never blame. Written from the facts, not from syzkaller's code.
 */
export type SplatKind =
  "lockdep" | "atomic-sleep" | "rcu" | "warning" | "bug" | "oops" | "hung-task" | "lockup" | "stall" | "panic";

/** A step of a stack walk: a line to find (its capture groups are candidate frames), or a run of frame lines. */
export type StackPart = RegExp | "stack";

export interface StackSpec {
  parts: StackPart[];
  /** Tried from the start when `parts` yields no frame. */
  fallback?: StackPart[];
  /** Frames this format never blames, on top of SKIP_FRAMES (substring regexes). */
  skip?: string[];
  /** How the frame is chosen from the candidates: the first one unless a custom rule says otherwise. */
  pick?: "stall" | "hang";
}

export interface TitleFormat {
  /** Where the title is found: the earliest match in the report text wins. */
  title: RegExp;
  /** Must also match; its captures replace the title's. */
  report?: RegExp;
  /** The title, with %N for the captures followed by the frames. */
  fmt: string;
  alt?: string[];
  stack?: StackSpec;
  /** A report that prints no call trace by design: not corrupted without one. */
  noTrace?: true;
  /** The format only matches what is left of a report that lost its start. */
  corrupted?: true;
}

export interface HeaderGroup {
  /** Case-sensitive substring anywhere in the line. */
  header: string;
  /** Lines that contain the header but are not reports. */
  suppress: RegExp[];
  formats: TitleFormat[];
}

const FUNC = String.raw`([a-zA-Z0-9_]+)(?:\.|\+)`;
const PC = String.raw`\[<?(?:0x)?[0-9a-f]+>?\]`;
const SRC = String.raw`([a-zA-Z0-9\-_/.]+\.[a-z]+:[0-9]+)`;
const TASK = String.raw`[\s\S]{0,100}?`;
/** Lazily across any number of whole lines. */
const LINES = String.raw`(?:.*\n)+?.*`;

/**
 * The faulting-PC line: x86 RIP/EIP/IP, ppc NIP, arm64 `pc :`, arm `PC is at`. User-space and null PCs
 * give no frame.
 */
// The alternatives: a kernel function (after up to two PCs), a bare address, and the null PCs.
const RIP =
  String.raw`(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:${PC} +){0,2}${FUNC}|(?:[0-9]+:)?0x[0-9a-f]+` +
  String.raw`|(?:[0-9]+:)?${PC} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))`;
const rip = new RegExp(RIP);
const callTrace = /(?:Call (?:T|t)race:)|(?:Backtrace:)/;
const AT = (pc: string) => new RegExp(`at: ${pc}${FUNC}`);
const atPart = AT(`(?:${PC} +)?`);
const pcPart = new RegExp(`${PC} +${FUNC}`);

/**
 * Frame lines in a stack run: ` [<pc>] [<pc>] func+0x..` (x86, ppc, old kernels) and arm's
 * `[<pc>] (callee) from [<pc>] (caller+..)`.
 */
export const FRAME_LINES = [
  new RegExp(`^ *(?:${PC} ){0,2}${FUNC}`),
  new RegExp(String.raw`^ *${PC} \(([a-zA-Z0-9_.]+)\) from ${PC} \(${FUNC}`),
];

/**
 * Lines that start a new stack (and so end the one being read). `stack backtrace:` is not one. The last is
 * RISC-V's register dump.
 */
export const STACK_STARTS = [
  /Call (?:T|t)race/,
  /Allocated:/,
  /Allocated by task [0-9]+:/,
  /Freed:/,
  /Freed by task [0-9]+:/,
  /[^k] backtrace(?: \(crc [0-9A-Fa-f]*\))?:/,
  /Backtrace:/,
  /Uninit was stored to memory at/,
  /status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}/,
];
export const STACK_START = new RegExp(STACK_STARTS.map((re) => re.source).join("|"));

/** A fault-injection frame: the report is about an injected failure, its stack is not trusted. */
export const INJECTED_FAILURE_FRAME = /^( \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x/;

const ripStack = (skip?: string[], pick?: StackSpec["pick"]): StackSpec => ({
  parts: [rip, callTrace, "stack"],
  ...(skip && { skip }),
  ...(pick && { pick }),
});
const traceStack = (skip?: string[], pick?: StackSpec["pick"]): StackSpec => ({
  parts: [callTrace, "stack"],
  ...(skip && { skip }),
  ...(pick && { pick }),
});
/** WARN(): the warning's own PC (or ppc's interrupt line) and what follows, else the call trace. */
const warnStack = (...skip: string[]): StackSpec => ({
  parts: [new RegExp(`(?:${RIP}|--- interrupt: [0-9a-f]+ at ${FUNC})`), "stack"],
  fallback: [callTrace, "stack"],
  skip,
});
const badAccess = ["bad-access in %1"];
const nothingAfter = (head: string) => new RegExp(`${head}[^\\S\\n]*(?:\\n|$)`);
const kmsanParts: StackPart[] = ["stack", /(?:Local variable .* created at:|Uninit was created at:)/, "stack"];
const usbSkips = ["usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg", "usb_control_msg"];
const kfencePart = new RegExp(`BUG: KFENCE: [a-z\\- ]+ in ${FUNC}`);
const rcuUsageSkips = ["rcu", "kmem", "slab"];
const lockdepInfo = (what: string, anchor: string, fmt = "possible deadlock in %1"): TitleFormat => ({
  title: new RegExp(`INFO: ${what}`),
  report: new RegExp(`INFO: ${what} \\]${LINES}${anchor}${LINES}at: ${PC} +${FUNC}`),
  fmt,
});

const BUG_FORMATS: TitleFormat[] = [
  {
    title: /BUG: KASAN:/,
    report: new RegExp(`BUG: KASAN: ([a-z\\-]+) in ${FUNC}${LINES}(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)`),
    fmt: "KASAN: %1 %3 in %4",
    alt: ["bad-access in %4"],
    stack: {
      parts: [new RegExp(`BUG: KASAN: (?:[a-z\\-]+) in ${FUNC}`), callTrace, "stack"],
      skip: ["kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"],
    },
  },
  {
    title: /BUG: KASAN:/,
    report: new RegExp(`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in ${FUNC}`),
    fmt: "KASAN: invalid-free in %2",
    alt: ["invalid-free in %2"],
    stack: {
      parts: [
        new RegExp(`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in ${FUNC}`),
        callTrace,
        "stack",
      ],
      skip: ["slab_", "kfree", "vunmap", "vfree"],
    },
  },
  { title: new RegExp(`BUG: KASAN: ([a-z\\-]+) on address${LINES}(Read|Write) of size ([0-9]+)`), fmt: "KASAN: %1 %2" },
  { title: /BUG: KASAN: (.*)/, fmt: "KASAN: %1", corrupted: true },
  {
    title: /BUG: KMSAN: kernel-usb-infoleak/,
    report: new RegExp(`BUG: KMSAN: kernel-usb-infoleak in ${FUNC}`),
    fmt: "KMSAN: kernel-usb-infoleak in %2",
    alt: ["KMSAN origin in %3"],
    stack: { parts: kmsanParts, skip: ["alloc_skb", ...usbSkips] },
    noTrace: true,
  },
  {
    title: /BUG: KMSAN:/,
    report: new RegExp(`BUG: KMSAN: ([a-z\\-]+) in ${FUNC}`),
    fmt: "KMSAN: %1 in %3",
    alt: ["bad-access in %3"],
    stack: {
      parts: kmsanParts,
      skip: ["alloc_skb", "netlink_ack", "netlink_rcv_skb", "_encrypt$", "^(?:crypto|cipher|drbg|rng)_"],
    },
    noTrace: true,
  },
  { title: /BUG: KCSAN: data-race/, report: /BUG: KCSAN: (.*)/, fmt: "KCSAN: %1", noTrace: true },
  { title: /BUG: KCSAN:/, report: /BUG: KCSAN: (.*)/, fmt: "KCSAN: %1", noTrace: true },
  {
    title: new RegExp(`BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in ${FUNC}`),
    fmt: "KFENCE: %1 %2 in %4",
    alt: ["bad-access in %4"],
    stack: { parts: [kfencePart, "stack"] },
  },
  {
    title: new RegExp(`BUG: KFENCE: invalid free in ${FUNC}`),
    fmt: "KFENCE: invalid free in %2",
    alt: ["invalid-free in %2"],
    stack: { parts: [kfencePart, "stack"] },
    noTrace: true,
  },
  {
    title: new RegExp(`BUG: KFENCE: invalid (read|write) in ${FUNC}`),
    fmt: "KFENCE: invalid %1 in %3",
    alt: ["bad-access in %3"],
    stack: { parts: [kfencePart, "stack"] },
  },
  {
    title: new RegExp(`BUG: KFENCE: memory corruption in ${FUNC}`),
    fmt: "KFENCE: memory corruption in %2",
    stack: { parts: [kfencePart, "stack"] },
    noTrace: true,
  },
  {
    title:
      /BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access)/,
    fmt: "BUG: unable to handle kernel paging request in %1",
    alt: badAccess,
    stack: ripStack(),
  },
  {
    title:
      /BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)/,
    fmt: "BUG: unable to handle kernel NULL pointer dereference in %1",
    alt: badAccess,
    stack: ripStack(),
  },
  { title: /BUG: (?:unable|Unable) to handle kernel/, fmt: "BUG: unable to handle kernel", corrupted: true },
  {
    title:
      /BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)/,
    fmt: "BUG: %1 %2 in %3",
    stack: traceStack(["spin_", "_lock", "_unlock"]),
  },
  {
    title: /BUG: soft lockup/,
    fmt: "BUG: soft lockup in %1",
    alt: ["stall in %1"],
    stack: ripStack(undefined, "stall"),
  },
  {
    title: /BUG: .*still has locks held!/,
    report: new RegExp(`BUG: .*still has locks held!${LINES}${PC} +${FUNC}`),
    fmt: "BUG: still has locks held in %1",
  },
  { title: /BUG: scheduling while atomic/, fmt: "BUG: scheduling while atomic in %1", stack: traceStack(["schedule"]) },
  {
    title: /BUG: lock held when returning to user space/,
    report: new RegExp(
      `BUG: lock held when returning to user space${LINES}leaving the kernel with locks still held${LINES}` +
        `at: (?:${PC} +)?${FUNC}`,
    ),
    fmt: "BUG: lock held when returning to user space in %1",
    noTrace: true,
  },
  {
    title: /BUG: bad unlock balance detected!/,
    fmt: "BUG: bad unlock balance in %1",
    stack: { parts: [pcPart, callTrace, "stack"] },
  },
  {
    title: /BUG: held lock freed!/,
    report: new RegExp(`BUG: held lock freed!${LINES}${PC} +${FUNC}`),
    fmt: "BUG: held lock freed in %1",
  },
  { title: /BUG: Bad rss-counter state/, fmt: "BUG: Bad rss-counter state", noTrace: true },
  { title: /BUG: non-zero nr_ptes on freeing mm/, fmt: "BUG: non-zero nr_ptes on freeing mm", noTrace: true },
  { title: /BUG: non-zero nr_pmds on freeing mm/, fmt: "BUG: non-zero nr_pmds on freeing mm", noTrace: true },
  {
    title: /BUG: Dentry .* still in use/,
    report: /BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([^\]]+)\]/,
    fmt: "BUG: Dentry still in use in %1",
    alt: ["BUG: Dentry still in use [%1 of %2]"],
  },
  {
    title: /BUG: Bad page (state|cache)/,
    fmt: "BUG: Bad page %1 in %2",
    stack: {
      parts: [/page last allocated/, "stack"],
      skip: [
        "(free|put|get|update|release)_page",
        "free_unref",
        "^_*folio",
        "truncate_inode_pages",
        "page_frag_free",
        "alloc",
        "vmap",
        "page_owner",
      ],
    },
  },
  { title: /BUG: Bad page map/, fmt: "BUG: Bad page map" },
  { title: /BUG: workqueue lockup/, fmt: "BUG: workqueue lockup", noTrace: true },
  {
    title: /BUG: sleeping function called from invalid context at (.*)/,
    fmt: "BUG: sleeping function called from invalid context in %2",
    stack: traceStack(),
  },
  {
    title: /BUG: using ([a-z_]+)\(\) in preemptible/,
    fmt: "BUG: using %1() in preemptible code in %2",
    stack: traceStack(["dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"]),
  },
  {
    title: /BUG: workqueue leaked lock or atomic/,
    report: new RegExp(`BUG: workqueue leaked lock or atomic${LINES}last function: ([a-zA-Z0-9_]+)\\n`),
    fmt: "BUG: workqueue leaked lock or atomic in %1",
    noTrace: true,
  },
  {
    title: /BUG: memory leak/,
    fmt: "memory leak in %1",
    stack: {
      parts: [/backtrace(?: \(crc [0-9A-Fa-f]*\))?:/, "stack"],
      skip: [
        "kmemleak",
        "mmap",
        "kmem",
        "slab",
        "alloc",
        "create_object",
        "idr_get",
        "list_lru_init",
        "kasprintf",
        "kvasprintf",
        "pcpu_create",
        "strdup",
        "strndup",
        "memdup",
      ],
    },
  },
  {
    title: /BUG: .*stack guard page was hit at/,
    fmt: "BUG: stack guard page was hit in %1",
    alt: ["stack-overflow in %1"],
    stack: ripStack(undefined, "stall"),
  },
  {
    title: /BUG: Invalid wait context/,
    fmt: "WARNING: locking bug in %1",
    stack: traceStack(["lock_sock", "release_sock"]),
  },
  { title: nothingAfter("BUG:"), fmt: "BUG: corrupted", corrupted: true },
];

const lockdepAt = (banner: string, anchor: string, pc: string): RegExp =>
  new RegExp(`${banner}${LINES}${anchor}${LINES}at: ${pc}${FUNC}`);

const WARNING_FORMATS: TitleFormat[] = [
  {
    title: /WARNING: .*lib\/debugobjects\.c.* (?:debug_print|debug_check|at)/,
    fmt: "WARNING: ODEBUG bug in %1",
    stack: warnStack(
      "debug_",
      "rcu",
      "hrtimer_",
      "timer_",
      "work_",
      "percpu_",
      "vunmap",
      "vfree",
      "__free_",
      "debug_check",
      "kobject_",
    ),
  },
  {
    title: /WARNING: .*mm\/usercopy\.c.* (?:usercopy_warn|at)/,
    fmt: "WARNING: bad usercopy in %1",
    stack: warnStack("usercopy", "__check"),
  },
  {
    title: /WARNING: .*lib\/kobject\.c.* (?:kobject_|at)/,
    fmt: "WARNING: kobject bug in %1",
    stack: warnStack("kobject_"),
  },
  {
    title: /WARNING: .*fs\/proc\/generic\.c.* (?:proc_register|at)/,
    fmt: "WARNING: proc registration bug in %1",
    stack: warnStack("proc_"),
  },
  {
    title: /WARNING: .*lib\/refcount\.c.* (?:refcount_|at)/,
    fmt: "WARNING: refcount bug in %1",
    stack: warnStack("refcount", "kobject_"),
  },
  {
    title: /WARNING: .*kernel\/locking\/lockdep\.c.*lock_/,
    fmt: "WARNING: locking bug in %1",
    stack: warnStack("lock_sock", "release_sock"),
  },
  {
    title: /WARNING: .*still has locks held!/,
    report: new RegExp(`WARNING: .*still has locks held!${LINES}at: ${FUNC}`),
    fmt: "WARNING: still has locks held in %1",
  },
  { title: /WARNING: Nested lock was not taken/, fmt: "WARNING: nested lock was not taken in %1", stack: warnStack() },
  {
    title: /WARNING: lock held when returning to user space/,
    report: lockdepAt(
      "WARNING: lock held when returning to user space",
      "leaving the kernel with locks still held",
      `(?:${PC} +)?`,
    ),
    fmt: "WARNING: lock held when returning to user space in %1",
    noTrace: true,
  },
  {
    title: /WARNING: .*mm\/.*\.c.* k?.?malloc/,
    fmt: "WARNING: kmalloc bug in %1",
    stack: warnStack("kmalloc", "krealloc", "slab", "kmem"),
  },
  { title: /WARNING: .*mm\/vmalloc.c.*__vmalloc_node/, fmt: "WARNING: zero-size vmalloc in %1", stack: warnStack() },
  { title: /WARNING: .* usb_submit_urb/, fmt: "WARNING in %1/usb_submit_urb", stack: warnStack(...usbSkips) },
  { title: new RegExp(`WARNING: ${SRC} at 0x\\d+, CPU#\\d+`), fmt: "WARNING in %2", stack: warnStack() },
  { title: new RegExp(`WARNING: .* at ${SRC} ${FUNC}`), fmt: "WARNING in %3", stack: warnStack() },
  { title: new RegExp(`WARNING: ${SRC} at ${FUNC}`), fmt: "WARNING in %3", stack: warnStack() },
  { title: new RegExp(`WARNING: \\[.*\\] ${SRC} at ${FUNC}.*`), fmt: "WARNING in %3", stack: warnStack() },
  {
    title: /WARNING: possible circular locking dependency detected/,
    report: new RegExp(`WARNING: possible circular locking dependency detected${LINES}is trying to acquire lock`),
    fmt: "possible deadlock in %1",
    stack: {
      parts: [atPart, atPart, "stack"],
      skip: ["process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"],
    },
  },
  {
    title: /WARNING: possible irq lock inversion dependency detected/,
    report: lockdepAt(
      "WARNING: possible irq lock inversion dependency detected",
      "just changed the state of lock",
      `(?:${PC} +)?`,
    ),
    fmt: "possible deadlock in %1",
  },
  {
    title: /WARNING: .*-safe -> .*-unsafe lock order detected/,
    fmt: "possible deadlock in %1",
    stack: { parts: [/which became .* at:/, "stack"] },
  },
  {
    title: /WARNING: possible recursive locking detected/,
    report: lockdepAt("WARNING: possible recursive locking detected", "is trying to acquire lock", `(?:${PC} +)?`),
    fmt: "possible deadlock in %1",
  },
  {
    title: /WARNING: inconsistent lock state/,
    report: lockdepAt("WARNING: inconsistent lock state", "takes", `(?:${PC} +)?`),
    fmt: "inconsistent lock state in %2",
    stack: traceStack(),
  },
  {
    title: /WARNING: suspicious RCU usage/,
    report: new RegExp(`WARNING: suspicious RCU usage${LINES}?${SRC}`),
    fmt: "WARNING: suspicious RCU usage in %2",
    stack: traceStack(rcuUsageSkips),
  },
  {
    title: /WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value/,
    fmt: "WARNING: kernel stack regs has bad '%1' value",
    noTrace: true,
  },
  {
    title: /WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value/,
    fmt: "WARNING: kernel stack frame pointer has bad value",
    noTrace: true,
  },
  {
    title: /WARNING: bad unlock balance detected!/,
    fmt: "WARNING: bad unlock balance in %1",
    stack: { parts: [pcPart, callTrace, "stack"] },
  },
  {
    title: /WARNING: held lock freed!/,
    report: new RegExp(`WARNING: held lock freed!${LINES}at:(?: ${PC})? +${FUNC}`),
    fmt: "WARNING: held lock freed in %1",
  },
  {
    title: /WARNING: kernel stack regs .* has bad 'bp' value/,
    fmt: "WARNING: kernel stack regs has bad value",
    noTrace: true,
  },
  {
    title: /WARNING: kernel stack frame pointer .* has bad value/,
    fmt: "WARNING: kernel stack regs has bad value",
    noTrace: true,
  },
  { title: nothingAfter("WARNING:"), fmt: "WARNING: corrupted", corrupted: true },
];

const INFO_FORMATS: TitleFormat[] = [
  lockdepInfo("possible circular locking dependency detected", "is trying to acquire lock"),
  lockdepInfo("possible irq lock inversion dependency detected", "just changed the state of lock"),
  lockdepInfo("SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "is trying to acquire"),
  lockdepInfo("possible recursive locking detected", "is trying to acquire lock"),
  lockdepInfo("inconsistent lock state", "takes", "inconsistent lock state in %1"),
  {
    title: /INFO: rcu_(?:preempt|sched|bh|tasks) (?:self-)?detected(?: expedited)? stall/,
    fmt: "INFO: rcu detected stall in %1",
    alt: ["stall in %1"],
    stack: {
      parts: [/apic_timer_interrupt/, rip, "stack"],
      fallback: [/apic_timer_interrupt|Exception stack|el1h_64_irq/, "stack"],
      skip: ["apic_timer_interrupt", "rcu"],
      pick: "stall",
    },
  },
  {
    title: /INFO: trying to register non-static key/,
    fmt: "INFO: trying to register non-static key in %1",
    stack: traceStack(["stack", "lock", "IRQ"]),
  },
  {
    title: /INFO: suspicious RCU usage/,
    report: new RegExp(`INFO: suspicious RCU usage${LINES}?${SRC}`),
    fmt: "INFO: suspicious RCU usage in %2",
    stack: traceStack(rcuUsageSkips),
  },
  {
    title: new RegExp(`INFO: task ${TASK} blocked (?:in I/O wait )?for more than [0-9]+ seconds`),
    fmt: "INFO: task hung in %1",
    alt: ["hang in %1"],
    stack: traceStack(undefined, "hang"),
  },
  {
    title: new RegExp(`INFO: task ${TASK} can't die for more than .* seconds`),
    fmt: "INFO: task can't die in %1",
    alt: ["hang in %1"],
    stack: traceStack(["schedule"]),
  },
  { title: /INFO: (Freed|Allocated) in (.*)/, fmt: "INFO: %1 in %2", corrupted: true },
  { title: nothingAfter("INFO:"), fmt: "INFO: corrupted", corrupted: true },
];

const panicWith = (reason: string, fmt: string, corrupted?: true): TitleFormat => ({
  title: new RegExp(`Kernel panic - not syncing: ${reason}`),
  fmt,
  ...(corrupted && { corrupted }),
});

const PANIC_FORMATS: TitleFormat[] = [
  {
    title: /Kernel panic - not syncing: stack-protector:/,
    report: new RegExp(`Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ${FUNC}`),
    fmt: "kernel panic: stack is corrupted in %1",
    noTrace: true,
  },
  {
    title: /Kernel panic - not syncing: stack-protector:/,
    report: /Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+/,
    fmt: "kernel panic: stack is corrupted in %1",
    stack: traceStack(["stack_chk"]),
  },
  {
    title: /Kernel panic - not syncing: corrupted stack end/,
    report: /Kernel panic - not syncing: corrupted stack end detected inside scheduler/,
    fmt: "kernel panic: corrupted stack end in %1",
    alt: ["stack-overflow in %1"],
    stack: traceStack(["schedule", "retint_kernel"], "stall"),
  },
  {
    title: /Kernel panic - not syncing: kernel stack overflow/,
    fmt: "kernel stack overflow in %1",
    alt: ["stack-overflow in %1"],
    stack: traceStack(["bad_stack"], "stall"),
  },
  panicWith("Attempted to kill init!", "kernel panic: Attempted to kill init!"),
  panicWith("Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+", "kernel panic: Couldn't open N_TTY ldisc"),
  panicWith("Fatal exception", "kernel panic: Fatal exception", true),
  panicWith("panic_on_warn set", "kernel panic: panic_on_warn set", true),
  panicWith("hung_task: blocked tasks", "kernel panic: hung_task: blocked tasks", true),
  panicWith("(.*)", "kernel panic: %1"),
];

const only = (title: RegExp, fmt: string, more: Partial<TitleFormat> = {}): TitleFormat[] => [{ title, fmt, ...more }];
const ripOnly: StackSpec = { parts: [rip] };

/**
 * Header groups in syzkaller's order: for each line, the first group whose header it contains (and not a
 * suppression) owns it.
 */
export const HEADER_GROUPS: HeaderGroup[] = [
  {
    header: "BUG:",
    suppress: [/ODEBUG:/, /Boot_DEBUG:/, /xlog_status:/, /DEBUG:/, /BUG: no syscalls can create resource/],
    formats: BUG_FORMATS,
  },
  {
    header: "WARNING:",
    suppress: [
      /WARNING: \/etc\/ssh\/moduli does not exist, using fixed modulus/,
      /WARNING: workqueue cpumask: online intersect > possible intersect/,
      /WARNING: [Tt]he mand mount option/,
      /WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1/,
      /WARNING: Unprivileged eBPF is enabled with eIBRS/,
      /WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size (\((?:\d+)x(?:\d+) vs\. (?:\d+)x(?:\d+)\))/,
      /WARNING: See https.* for mitigation options./,
      /WARNING: kernel not compiled with CPU_SRSO/,
      /EXT4-[Ff][Ss](?: \(.*\))?:/,
      /warning: .* uses (deprecated v2 capabilities|wireless extensions)/i,
      /XFS \(\w+\): WARNING/,
    ],
    formats: WARNING_FORMATS,
  },
  {
    header: "INFO:",
    suppress: [
      /INFO: lockdep is turned off/,
      /INFO: Stall ended before state dump start/,
      /INFO: NMI handler/,
      /INFO: recovery required on readonly filesystem/,
      /(handler|interrupt).*took too long/,
      /INFO: sys_.* is not present in \/proc\/kallsyms/,
      /INFO: no syscalls can create resource/,
      /rmt_storage:INFO:/,
      /_INFO:/,
    ],
    formats: INFO_FORMATS,
  },
  {
    header: "Unable to handle kernel",
    suppress: [],
    formats: only(
      /Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)/,
      "BUG: unable to handle kernel %1 in %2",
      { alt: ["bad-access in %2"], stack: ripStack() },
    ),
  },
  {
    header: "general protection fault",
    suppress: [/general protection fault .* error:\d+ in /],
    formats: only(/general protection fault.*:/, "general protection fault in %1", {
      alt: badAccess,
      stack: ripStack(),
    }),
  },
  {
    header: "stack segment: ",
    suppress: [],
    formats: only(/stack segment: /, "stack segment fault in %1", { stack: ripStack() }),
  },
  { header: "Kernel panic", suppress: [], formats: PANIC_FORMATS },
  {
    header: "PANIC: double fault",
    suppress: [],
    formats: only(/PANIC: double fault/, "PANIC: double fault in %1", { stack: ripOnly }),
  },
  {
    header: "rust_kernel: panicked",
    suppress: [],
    formats: only(/rust_kernel: panicked/, "%1 in %2", {
      report: /rust_kernel: panicked at [^\n]*?\n(.+?)\n/,
      stack: traceStack(["^__rustc::rust_begin_unwind$"]),
    }),
  },
  {
    header: "kernel BUG",
    suppress: [],
    formats: [
      {
        title: /kernel BUG at mm\/usercopy.c/,
        fmt: "BUG: bad usercopy in %1",
        stack: traceStack(["usercopy", "__check"]),
      },
      {
        title: /kernel BUG at lib\/list_debug.c/,
        fmt: "BUG: corrupted list in %1",
        alt: badAccess,
        stack: traceStack(),
      },
      { title: /kernel BUG at (.*)/, fmt: "kernel BUG in %2", stack: ripStack(["^skb_"]) },
    ],
  },
  { header: "Kernel BUG", suppress: [], formats: only(/Kernel BUG (.*)/, "kernel BUG %1") },
  {
    header: "BUG kmalloc-",
    suppress: [],
    formats: only(/BUG kmalloc-.*: Object already free/, "BUG: Object already free"),
  },
  { header: "divide error:", suppress: [], formats: only(/divide error: /, "divide error in %1", { stack: ripOnly }) },
  { header: "divide_error:", suppress: [], formats: only(/divide_error: /, "divide error in %1", { stack: ripOnly }) },
  {
    header: "invalid opcode:",
    suppress: [],
    formats: only(/invalid opcode: /, "invalid opcode in %1", { stack: ripOnly }),
  },
  { header: "int3:", suppress: [], formats: only(/int3: /, "int3 in %1", { stack: ripStack() }) },
  {
    header: "UBSAN:",
    suppress: [],
    formats: [
      {
        title: /UBSAN:/,
        report: /UBSAN: Undefined behaviour in/,
        fmt: "UBSAN: undefined-behaviour in %1",
        stack: traceStack(["ubsan", "overflow"]),
      },
      {
        title: /UBSAN: array-index-out-of-bounds in/,
        fmt: "UBSAN: array-index-out-of-bounds in %1",
        alt: badAccess,
        stack: traceStack(["ubsan", "overflow"]),
      },
      { title: /UBSAN:/, report: /UBSAN: (.*?) in/, fmt: "UBSAN: %1 in %2", stack: traceStack(["ubsan", "overflow"]) },
    ],
  },
  {
    header: "Booting the kernel.",
    suppress: [/Parsing ELF|Decompressing Linux|Unknown parameter '/],
    formats: only(/^Booting the kernel/, "unexpected kernel reboot", { noTrace: true }),
  },
  {
    header: "unregister_netdevice: waiting for",
    suppress: [],
    formats: only(
      /unregister_netdevice: waiting for (.*) to become free/,
      "unregister_netdevice: waiting for DEV to become free",
      { noTrace: true },
    ),
  },
  {
    header: "VFS: Close: file count is 0",
    suppress: [],
    formats: only(/VFS: Close: file count is 0/, "VFS: Close: file count is zero (use-after-free)", { noTrace: true }),
  },
  {
    header: "VFS: Busy inodes after unmount",
    suppress: [],
    formats: only(/VFS: Busy inodes after unmount/, "VFS: Busy inodes after unmount (use-after-free)", {
      noTrace: true,
    }),
  },
  {
    header: "Internal error:",
    suppress: [],
    formats: only(/Internal error:/, "Internal error in %1", { alt: badAccess, stack: ripStack() }),
  },
  {
    header: "Unhandled fault:",
    suppress: [],
    formats: only(/Unhandled fault:/, "Unhandled fault in %1", { alt: badAccess, stack: ripStack() }),
  },
  {
    header: "Alignment trap:",
    suppress: [],
    formats: only(/Alignment trap:/, "Alignment trap in %1", { stack: ripStack() }),
  },
  {
    header: "trusty: panic",
    suppress: [],
    formats: [
      {
        title: /trusty: panic.* ASSERT FAILED/,
        report: /trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+)/,
        fmt: "trusty: ASSERT FAILED: %1",
        noTrace: true,
      },
      { title: /trusty: panic.* ASSERT FAILED.*: *(.*)/, fmt: "trusty: ASSERT FAILED: %1", corrupted: true },
      { title: /trusty: panic/, report: /trusty: panic \(.*?\): (.+)/, fmt: "trusty: panic: %1", noTrace: true },
    ],
  },
  {
    header: "fatal error:",
    suppress: [/ALSA/, /fatal error: cannot create timer/],
    formats: only(/fatal error:/, "go runtime error", { noTrace: true }),
  },
  { header: "SYZFAIL:", suppress: [], formats: only(/SYZFAIL:(.*)/, "SYZFAIL:%1", { noTrace: true }) },
  {
    header: "SYZFATAL:",
    suppress: [],
    formats: only(/SYZFATAL:(.*)()/, "SYZFATAL:%1", { alt: ["SYZFATAL%2"], noTrace: true }),
  },
  {
    header: "panic:",
    suppress: [/_panic:/, /xlog_status:/, /ddb\.onpanic:/, /evtlog_status:/],
    formats: [
      { title: /panic: Sentry detected .* stuck task/, fmt: "panic: Sentry detected stuck tasks", noTrace: true },
      { title: /panic:(.*)/, fmt: "panic:%1", noTrace: true },
    ],
  },
];

/** Any header at all: one test per console line before the groups are looked at. */
export const ANY_HEADER = new RegExp(
  HEADER_GROUPS.map((g) => g.header.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
);

/** Headers that are part of the report being read rather than a new one (a panic after an oops, an arm Oops line). */
export const REPORT_START_IGNORES = [
  "invalid opcode: 0000",
  "Kernel panic - not syncing",
  "unregister_netdevice: waiting for",
  "PANIC: double fault",
  "Internal error:",
];
/** Messages that print a stack of their own: they end the title text of the report before them. */
export const STACK_PRINTING_MESSAGES = [
  "vmalloc: allocation failure:",
  "FAULT_INJECTION: forcing a failure",
  "FAULT_FLAG_ALLOW_RETRY missing",
];

/** syzkaller's global list of frames never blamed (searched anywhere in the name, like regexes). */
export const SKIP_FRAMES: string[] =
  String.raw`__sanitizer __asan kasan hwasan __msan kmsan kcsan_setup_watchpoint check_memory_region check_heap_object
check_object read_word_at_a_time (read|write)_once_.*nocheck print_address_description panic invalid_op report_bug
fixup_bug print_report print_usage_bug do_error _trap$|do_trap show_stack dump_stack walk_stack dump_backtrace
warn_slowpath warn_alloc warn_bogus __warn alloc_page k?v?(?:m|z|c)alloc krealloc kmem_cache allocate_slab
__alloc_frozen_pages_noprof folio_(?:alloc|unlock) filemap_alloc_folio __filemap_get_folio find_or_create_page
do_read_cache_folio read_cache_page pagecache_get_page grab_cache_page_write_begin slab_ debug_object
timer_is_static_object work_is_static_object __might_fault print_unlock imbalance_bug lockdep bh_enable bh_disable
perf_trace lock_acquire lock_release lock_class mark_lock (reacquire|mark)_held_locks raw_spin_rq spin_lock
spin_trylock spin_unlock read_lock read_trylock write_lock write_trylock read_unlock write_unlock ^down$ down_read
down_write down_read_trylock down_write_trylock down_trylock up_read up_write ^mutex_ ^__mutex_ ^rt_mutex_
owner_on_cpu osq_lock osq_unlock atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)
(set|clear|change|test)_bit __wake_up ^refcount_ ^kref_ ref_tracker seqprop_assert memcpy memcmp memset memchr memmove
memdup strcmp strncmp strcpy strlcpy strncpy strscpy strlen strstr strnstr strnlen strchr strdup strndup copy_to_user
copy_from_user copy_to_iter copy_from_iter copy_page_to_iter copy_page_from_iter copy_folio_to_iter ^copyin$ ^copyout$
put_user get_user might_fault might_sleep list_add list_del list_replace list_move list_splice ^rb_ ^__rb_
_indirect_thunk_ string pointer snprintf scnprintf kasprintf kvasprintf printk va_format dev_info dev_notice dev_warn
dev_err dev_alert dev_crit dev_emerg program_check_exception program_check_common del_timer flush_work
__cancel_work_timer cancel_work_sync try_to_grab_pending flush_workqueue drain_workqueue destroy_workqueue queue_work
finish_wait kthread_stop kobject_ add_uevent_var get_device_parent device_add device_del device_unregister
device_destroy device_release devres_release_all hwrng_unregister i2c_del_adapter __unregister_client
device_for_each_child rollback_registered unregister_netdev sysfs_remove device_remove_file tty_unregister_device
dummy_urb_enqueue usb_kill_urb usb_kill_anchored_urbs usb_control_msg usb_hcd_submit_urb usb_submit_urb ^complete$
wait_for_completion ^kv?free$ kfree_skb readb$ readw$ readl$ readq$ writeb$ writew$ writel$ writeq$ logic_in logic_out
^crc\d+ crc_itu_t __might_resched assertfail ^iput$ ^iput_final$ ^ihold$ hex_dump_to_buffer print_hex_dump ^klist_
(trace|lockdep)_(hard|soft)irq ^(un)?lock_page stack_trace_consume_entry arch_stack_walk stack_trace_save insert_work
__queue_delayed_work queue_delayed_work_on ida_free do_(kernel|translation)_fault do_mem_abort el1_abort
el1h_64_sync(?:_handler)? print_tainted xas_(?:start|load|find) find_lock_entries truncate_inode_pages_range
__phys_addr __fortify_report cleanup_srcu_struct rhashtable_lookup extract_(user|iter)_to_sg drop_nlink ^get_taint$
^put_device$ lock_timer_base __timer_delete_sync sk_stop_timer_sync __mod_timer fast_dput dput mark_buffer_dirty`.split(
    /\s+/,
  );

/**
 * kharness's culprit skips these too: the CPU-hotplug lock, percpu rwsems, lock and sleep
 * primitives and the checks inside them are where a bug is noticed, not where it is made.
 * syzkaller's title may name one of them (`... in get_online_cpus`); the culprit is their caller.
 */
export const NOTICING_FRAMES: string[] = [
  "^cpus_(?:read|write)_",
  "^(?:get|put)_online_cpus$",
  "^cpu_hotplug_",
  "^_*percpu_(?:down|up)_",
  "^percpu_rwsem_",
  "^_*might_(?:sleep|resched|fault)$",
  "^___might_sleep$",
  "^lock_acquire",
  "^_*down_(?:read|write)",
  "^_*up_(?:read|write)",
  "^rwsem_",
  "^_*mutex_lock",
  "^_*mutex_unlock",
  "_raw_spin_",
  "_raw_read_",
  "_raw_write_",
  "^do_raw_",
  "^rcu_read_(?:lock|unlock)",
  "^__rcu_read_",
  "^rcu_lock_(?:acquire|release)",
  "^lockdep_",
  "^__cond_resched",
  "^preempt_count_",
  "^check_preemption_disabled$",
  "^__schedule_bug$",
  "^__cant_sleep",
  "^_*schedule",
  "^preempt_schedule",
  "^io_schedule",
  "^msleep",
  "^usleep_range",
  "^ssleep$",
  "^bad_page$",
  "^_*wait_",
  "^synchronize_(?:rcu|srcu|net|sched)",
  "^__flush_work",
];

/** Syscall entry prefixes, removed from a frame name (the one that leaves the shortest name wins). */
export const SYSCALL_PREFIXES = [
  "SYSC_",
  "SyS_",
  "sys_",
  "__x64_",
  "__ia32_",
  "__arm64_",
  "____sys_",
  "___sys_",
  "__sys_",
  "__se_",
  "__se_sys_",
  "__do_sys_",
  "compat_SYSC_",
  "compat_SyS_",
  "ksys_",
];

/**
 * Where a stall's stack meets its dispatcher (syscall entry, workqueue, timer, file or socket call): the
 * frame above is the stalling one.
 */
export const STALL_ANCHORS = new RegExp(
  String.raw`process_one_work do_syscall_ do_fast_syscall_ sysenter_dispatch tracesys_phase2 el0_svc_handler
invoke_syscall ret_fast_syscall netif_receive_skb do_softirq call_timer_fn _run_timers run_timer_softirq hrtimer_run
run_ksoftirqd smpboot_thread_fn ^kthread$ start_secondary cpu_startup_entry ret_from_fork vfs_write vfs_read
vfs_iter_read vfs_iter_write do_iter_read do_iter_write call_read_iter call_write_iter new_sync_read new_sync_write
vfs_ioctl ksys_ioctl compat_ioctl compat_sys_ioctl blkdev_driver_ioctl blkdev_ioctl ^call_read_iter ^call_write_iter
do_iter_readv_writev ^call_mmap mmap_region do_mmap do_dentry_open vfs_open ^sock_sendmsg ^sock_recvmsg ^sock_release
^__sock_release ^setsockopt$ kernel_setsockopt sock_common_setsockopt ^listen$ kernel_listen sk_common_release
^sock_mmap ^accept$ kernel_accept ^sock_do_ioctl ^sock_ioctl ^compat_sock_ioctl ^nfnetlink_rcv_msg ^rtnetlink_rcv_msg
^netlink_dump ^(sys_)?(socketpair|connect|ioctl) __do_fault do_page_fault ^page_fault$ __fput task_work_run
exit_to_usermode smp_call_function tasklet_action tasklet_hi_action`
    .split(/\s+/)
    .join("|"),
);

/** A hung task waits in these: the hang is blamed on the first frame outside them. */
export const HANG_WAIT_FRAMES =
  /sched|_lock|_slowlock|down|rwsem|completion|kthread|wait|synchronize|context_switch|__switch_to|cancel_delayed_work|rcu_barrier/;
