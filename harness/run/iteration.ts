import { promises as fs } from "node:fs";
import path from "node:path";
import { collectEvidence } from "../collect/collect.js";
import type { Progress } from "../core/progress.js";
import { splatsOfRun, type SplatGroup } from "../parse/runSplats.js";
import type { Scenario } from "../scenario/schema.js";
import type { IterationRecord } from "../report/runRecord.js";
import type { RunStatus } from "../verdict/verdict.js";
import type { AccelChoice } from "../vm/accel.js";
import { bootVm, freeLoopbackPort, qemuCommand, readConsole } from "../vm/vm.js";
import type { QemuSpec } from "../vm/qemu.js";
import type { SshKeyPair } from "../vm/ssh.js";
import { describeWorkload, runWorkload } from "../workload/index.js";

export interface IterationInputs {
  scenario: Scenario;
  variant: string;
  iteration: number;
  bzImage: string;
  initrd: string;
  accel: AccelChoice;
  key: SshKeyPair;
  runDir: string;
}

export interface IterationOutcome {
  record: IterationRecord;
  groups: SplatGroup[];
}

/** One fresh boot: boot -> workload -> collect -> parse. Every ending is a value, not a throw. */
export async function runIteration(inp: IterationInputs, progress: Progress): Promise<IterationOutcome> {
  const rel = path.join("iterations", `${inp.variant}-${inp.iteration}`);
  const dir = path.join(inp.runDir, rel);
  await fs.mkdir(dir, { recursive: true });
  const disk = path.join(dir, "disk.img");
  await fs.writeFile(disk, "");
  await fs.truncate(disk, inp.scenario.vm.diskMiB * 1024 * 1024);
  const spec: QemuSpec = {
    accel: inp.accel.accel,
    ...(inp.accel.cpuModel && { cpuModel: inp.accel.cpuModel }),
    cpus: inp.scenario.vm.cpus,
    memoryMiB: inp.scenario.vm.memoryMiB,
    kernel: inp.bzImage,
    initrd: inp.initrd,
    disk,
    consoleLog: path.join(dir, "console.log"),
    sshPort: await freeLoopbackPort(),
    extraCmdline: inp.scenario.vm.cmdline,
  };
  const record: IterationRecord = {
    variant: inp.variant,
    iteration: inp.iteration,
    status: "completed",
    bootMs: 0,
    workloadMs: 0,
    collectMs: 0,
    console: path.join(rel, "console.log"),
    qemuCommand: qemuCommand(spec),
    splats: [],
  };
  const label = `${inp.variant} #${inp.iteration}`;
  try {
    progress.stage(`boot ${label} (${inp.accel.accel}, ${spec.cpus} vCPUs)`);
    const boot = await bootVm(spec, inp.key, inp.scenario.vm.bootTimeoutSec * 1000);
    record.bootMs = boot.bootMs;
    if (!boot.ok) {
      progress.done(`boot failure: ${boot.reason}`);
      const groups = splatsOfRun(boot.console);
      return finish({ ...record, status: "boot-failure", reason: boot.reason }, groups);
    }
    progress.done("guest reachable over SSH");
    const vm = boot.vm;
    try {
      progress.stage(`workload ${label}`);
      const ticker = setInterval(() => progress.detail(`${describeWorkload(inp.scenario.workload)} running`), 5000);
      const work = await runWorkload(vm.shell, inp.scenario.workload).finally(() => clearInterval(ticker));
      record.workloadMs = work.durationMs;
      // A dropped connection means the guest died (crash: its reports are on the
      // console) or stopped answering while QEMU still runs (a wedged kernel: a hang).
      const status: RunStatus = work.status === "lost" ? ((await vm.waitForExit(5000)) ? "crash" : "hang") : work.status;
      await fs.writeFile(path.join(dir, "workload.txt"), work.output);
      const t = Date.now();
      const evidence = await collectEvidence(vm, status === "hang");
      record.collectMs = Date.now() - t;
      if (evidence.dmesg !== undefined) {
        await fs.writeFile(path.join(dir, "dmesg.txt"), evidence.dmesg);
        record.dmesg = path.join(rel, "dmesg.txt");
      }
      await vm.stop();
      const console = await readConsole(spec.consoleLog);
      const groups = splatsOfRun(console, evidence.dmesg);
      const notes = [...(work.status === "completed" ? [] : [work.reason]), ...evidence.notes];
      progress.done(`${status}, ${groups.length} unique splat(s)${notes.length ? `; ${notes.join("; ")}` : ""}`);
      return finish({ ...record, status, ...(notes.length && { reason: notes.join("; ") }) }, groups);
    } finally {
      vm.kill();
    }
  } finally {
    await fs.rm(disk, { force: true });
  }
}

function finish(record: IterationRecord, groups: SplatGroup[]): IterationOutcome {
  record.splats = groups.map((g) => ({ signature: g.signature, count: g.count }));
  return { record, groups };
}
