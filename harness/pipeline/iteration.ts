import { promises as fs } from "node:fs";
import path from "node:path";
import { collectEvidence, DMESG_TIMEOUT_MS, TAINTED_DMESG_TIMEOUT_MS } from "../collect/collect.js";
import { writeFileAtomic } from "../core/files.js";
import { interruption, Interrupted, throwIfInterrupted } from "../core/interrupt.js";
import type { Arch } from "../core/arch.js";
import type { Progress } from "../core/progress.js";
import { runEvidence } from "../verdict/signatures.js";
import { splatsOfRun, type SplatGroup } from "../parse/runSplats.js";
import type { RunStatus } from "../records/common.js";
import type { IterationRecord } from "../records/run.js";
import type { Scenario } from "../scenario/schema.js";
import { makeDisk } from "../vm/disk.js";
import type { BootResult, VmImplementation, VmInstance, VmSpec } from "../vm/types.js";
import { describeWorkload, diskFormat, runWorkload } from "../workload/index.js";
import { watchRun } from "./monitor.js";
import type { Guest } from "./guest.js";

export interface IterationInputs {
  /** The scenario as this cell runs it (its vCPUs, its workload). */
  scenario: Scenario;
  /** The arch its kernel was built for. */
  arch: Arch;
  /** The directory name of this kernel's iterations, e.g. a variant or a cell label. */
  label: string;
  iteration: number;
  bzImage: string;
  guest: Guest;
  runDir: string;
  vm: VmImplementation;
  /** A fix run's trial window (ms): clean that long, it is a complete trial and stops. */
  windowMs?: number;
}

export interface IterationOutcome {
  record: IterationRecord;
  groups: SplatGroup[];
}

/** Boots whose host failed are tried again this many times before the run is recorded as infra. */
export const INFRA_RETRIES = 2;

/**
 * One fresh boot: boot -> workload -> collect -> parse. Every ending is a value, not a
 * throw, except an interrupt: a run cut short by the user is no evidence and is not kept.
 */
export async function runIteration(inp: IterationInputs, progress: Progress): Promise<IterationOutcome> {
  const out = await iterate(inp, progress);
  const sig = interruption();
  if (sig) throw new Interrupted(`${sig} during ${inp.label} #${inp.iteration}; that run is not kept`);
  return out;
}

async function iterate(inp: IterationInputs, progress: Progress): Promise<IterationOutcome> {
  const rel = path.join("iterations", `${inp.label}-${inp.iteration}`);
  const dir = path.join(inp.runDir, rel);
  await fs.mkdir(dir, { recursive: true });
  const spec: VmSpec = {
    arch: inp.arch,
    accel: inp.guest.accel,
    cpus: inp.scenario.vm.cpus,
    memoryMiB: inp.scenario.vm.memoryMiB,
    kernel: inp.bzImage,
    initrd: inp.guest.initrd,
    disk: path.join(dir, "disk.img"),
    consoleLog: path.join(dir, "console.log"),
    cmdline: inp.scenario.vm.cmdline,
    key: inp.guest.key,
    hostPublicKey: inp.guest.hostPublicKey,
    readyMarker: inp.guest.readyMarker,
    bootTimeoutMs: inp.scenario.vm.bootTimeoutSec * 1000,
    snapshot: inp.scenario.vm.restore,
  };
  const base = {
    iteration: inp.iteration,
    bootMs: 0,
    workloadMs: 0,
    collectMs: 0,
    console: path.join(rel, "console.log"),
    vmCommand: inp.vm.command(spec),
    splats: [],
  };
  const label = `${inp.label} #${inp.iteration}`;
  try {
    const boot = await bootWithRetries(inp, spec, label, progress);
    if (!boot.ok) {
      progress.done(`${boot.cause === "infra" ? "infra failure" : "boot failure"}: ${boot.reason}`);
      const status: RunStatus = boot.cause === "infra" ? "infra" : "boot-failure";
      const groups = splatsOfRun(boot.console);
      return {
        record: {
          ...base,
          vmCommand: boot.command,
          reason: boot.reason,
          bootMs: boot.bootMs,
          ...runEvidence(status, groups),
        },
        groups,
      };
    }
    const started =
      boot.start === "restored"
        ? "restored from its booted snapshot"
        : boot.start === "saved"
          ? "booted, and saved as the snapshot later runs restore"
          : "booted";
    progress.done(`guest reachable over SSH (${started})`);
    if (boot.warning) progress.info(`warning: ${boot.warning}`);
    throwIfInterrupted(`the boot of ${label}`);
    try {
      const record: IterationRecord = {
        ...base,
        vmCommand: boot.vm.command,
        status: "completed",
        bootMs: boot.bootMs,
        boot: boot.start,
      };
      return await workAndCollect(inp, boot.vm, record, dir, progress);
    } finally {
      boot.vm.kill();
    }
  } finally {
    await fs.rm(spec.disk!, { force: true });
  }
}

/** Boot on a fresh empty disk; a host failure is retried, a kernel failure is the answer. */
async function bootWithRetries(
  inp: IterationInputs,
  spec: VmSpec,
  label: string,
  progress: Progress,
): Promise<BootResult> {
  let boot: BootResult | undefined;
  for (let attempt = 0; attempt <= INFRA_RETRIES; attempt++) {
    // An interrupt kills QEMU, which reads as a host failure: never boot again after one.
    throwIfInterrupted(`the boot of ${label}`);
    await makeDisk(spec.disk!, inp.scenario.vm.diskMiB * 1024 * 1024, diskFormat(inp.scenario.workload));
    progress.stage(
      `boot ${label} (${spec.accel.accel}, ${spec.cpus} vCPUs)` +
        `${attempt ? `, retry ${attempt} after: ${(boot as { reason: string }).reason}` : ""}`,
    );
    boot = await inp.vm.boot(spec);
    if (boot.ok || boot.cause === "kernel") return boot;
  }
  return boot!;
}

interface WatchedWork {
  status: RunStatus;
  output: string;
  reason?: string;
  stoppedEarly?: string;
  wedged?: boolean;
  durationMs: number;
  firstReportMs?: number;
}

/**
 * The workload, ended early when the watch decides; with when its first report came (the baseline's times
 * set the trial window).
 */
async function workWatched(inp: IterationInputs, vm: VmInstance): Promise<WatchedWork> {
  const { workload } = inp.scenario;
  const watch = watchRun(vm, {
    tailMs: workload.tailSec * 1000,
    wedgeMs: workload.wedgeSec * 1000,
    ...(inp.windowMs !== undefined && { windowMs: inp.windowMs }),
  });
  const work = await workRaced(inp, vm, watch);
  const firstReportMs = watch.firstReportMs();
  return firstReportMs === undefined ? work : { ...work, firstReportMs };
}

/** The workload raced with the watch: a deciding report, a clean trial window, or a wedged guest ends it early. */
async function workRaced(
  inp: IterationInputs,
  vm: VmInstance,
  watch: ReturnType<typeof watchRun>,
): Promise<WatchedWork> {
  const { workload } = inp.scenario;
  const started = Date.now();
  let output = "";
  const work = runWorkload(vm.shell, workload, (chunk) => {
    output += chunk;
    watch.output(chunk);
  });
  const first = await Promise.race([work.then((w) => ({ kind: "workload" as const, w })), watch.ending]);
  watch.stop();
  // The workload left behind when the watch ends the run fails once the VM is gone: expected, not an error.
  work.catch(() => undefined);
  const durationMs = Date.now() - started;
  if (first.kind === "decided" || first.kind === "window")
    return { status: "completed", output, stoppedEarly: first.reason, durationMs };
  if (first.kind === "wedged") return { status: "hang", output, reason: first.reason, wedged: true, durationMs };
  const w = first.w;
  if (w.status !== "lost")
    return {
      status: w.status,
      output: w.output,
      ...(w.status !== "completed" && { reason: w.reason }),
      durationMs: w.durationMs,
    };
  // A dropped connection means the guest died (crash: its reports are on the console), the
  // VM was killed from outside (infra: no evidence about the kernel), or the guest stopped
  // answering while the VM still runs (a wedged kernel: a hang).
  const exited = await vm.waitExit(5000);
  if (exited && vm.killedFromOutside())
    return {
      status: "infra",
      output: w.output,
      reason: "the VM was killed from outside kharness during the workload",
      durationMs: w.durationMs,
    };
  return { status: exited ? "crash" : "hang", output: w.output, reason: w.reason, durationMs: w.durationMs };
}

/** The workload on a booted guest, then the evidence: dmesg, the console, the splats. */
async function workAndCollect(
  inp: IterationInputs,
  vm: VmInstance,
  record: IterationRecord,
  dir: string,
  progress: Progress,
): Promise<IterationOutcome> {
  progress.stage(`workload ${inp.label} #${inp.iteration}`);
  const ticker = setInterval(() => progress.detail(`${describeWorkload(inp.scenario.workload)} running`), 5000);
  const work = await workWatched(inp, vm).finally(() => clearInterval(ticker));
  record.workloadMs = work.durationMs;
  await writeFileAtomic(path.join(dir, "workload.txt"), work.output);
  progress.done(`${work.status}${work.stoppedEarly ? `: ${work.stoppedEarly}` : ""}; collecting the evidence`);
  progress.stage(`collect ${inp.label} #${inp.iteration}`);
  const t = Date.now();
  // A wedged guest answers nothing: asking it for sysrq and dmesg would only cost the timeouts.
  const dmesgMs = work.firstReportMs === undefined ? DMESG_TIMEOUT_MS : TAINTED_DMESG_TIMEOUT_MS;
  const evidence = work.wedged
    ? { notes: ["the guest was wedged; the console is the record"] }
    : await collectEvidence(vm.shell, work.status === "hang", dmesgMs);
  record.collectMs = Date.now() - t;
  if (evidence.dmesg !== undefined) {
    await writeFileAtomic(path.join(dir, "dmesg.txt"), evidence.dmesg);
    record.dmesg = path.join(path.dirname(record.console), "dmesg.txt");
  }
  await vm.stop();
  const groups = splatsOfRun(await vm.console(), evidence.dmesg);
  const judged = runEvidence(work.status, groups);
  const notes = [...(work.reason ? [work.reason] : []), ...evidence.notes];
  progress.done(
    `${judged.status}${work.stoppedEarly ? " (stopped early)" : ""}, ${groups.length} unique splat(s)` +
      `${notes.length ? `; ${notes.join("; ")}` : ""}`,
  );
  const timing = {
    ...(work.firstReportMs !== undefined && { firstReportMs: work.firstReportMs }),
    ...(inp.windowMs !== undefined && { windowMs: inp.windowMs }),
  };
  const ending = {
    ...(notes.length && { reason: notes.join("; ") }),
    ...(work.stoppedEarly && { stoppedEarly: work.stoppedEarly }),
    ...timing,
  };
  return { record: { ...record, ...ending, ...judged }, groups };
}
