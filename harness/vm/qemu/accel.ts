import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HOST_ARCH } from "../../core/arch.js";
import { tool, toolOutput } from "../../core/exec.js";
import { writeJsonAtomic } from "../../core/files.js";
import { cacheRoot } from "../../core/paths.js";
import type { Progress } from "../../core/progress.js";
import { AccelChoiceSchema, type Accel, type AccelChoice } from "../../records/common.js";
import { readRecordIfExists } from "../../records/read.js";
import { qemuArgv } from "./argv.js";
import { readConsoleFile } from "./console.js";

const PROBE_MS = 20000;

/**
 * /dev/kvm can exist and still not work (guests that never print, `-cpu host` aborting),
 * so KVM is chosen only when a short probe boot prints the kernel banner. The answer is
 * cached per host, QEMU version and host kernel.
 */
export async function chooseAccel(kernel: string, initrd: string, progress: Progress, force?: Accel): Promise<AccelChoice> {
  const qemuVersion = (await toolOutput(HOST_ARCH.qemu, ["--version"])).stdout.split("\n")[0]!;
  const hostKey = `${os.hostname()} ${os.release()} ${qemuVersion}`;
  if (force) return { accel: force, reason: `forced with --accel ${force}`, probedAt: new Date().toISOString(), hostKey };
  const cacheFile = path.join(cacheRoot(), "accel.json");
  const cached = await readRecordIfExists(AccelChoiceSchema, cacheFile, "KVM probe cache entry");
  if (cached && cached.hostKey === hostKey) return cached;

  let choice: AccelChoice;
  try {
    await fs.access("/dev/kvm", fs.constants.R_OK | fs.constants.W_OK);
  } catch (err) {
    choice = { accel: "tcg", reason: `/dev/kvm is not usable (${(err as NodeJS.ErrnoException).code})`, probedAt: new Date().toISOString(), hostKey };
    await writeJsonAtomic(cacheFile, choice);
    return choice;
  }
  progress.stage("probe KVM");
  const failures: string[] = [];
  for (const cpuModel of ["host", undefined]) {
    const seen = await probeBoot(kernel, initrd, cpuModel);
    if (seen.ok) {
      choice = { accel: "kvm", ...(cpuModel && { cpuModel }), reason: `KVM probe boot printed the kernel banner in ${seen.ms} ms`, probedAt: new Date().toISOString(), hostKey };
      progress.done(`using KVM (${choice.reason})`);
      await writeJsonAtomic(cacheFile, choice);
      return choice;
    }
    failures.push(`-cpu ${cpuModel ?? "default"}: ${seen.why}`);
  }
  choice = { accel: "tcg", reason: `/dev/kvm exists but KVM does not boot a guest (${failures.join("; ")})`, probedAt: new Date().toISOString(), hostKey };
  progress.done(`using TCG: ${choice.reason}`);
  await writeJsonAtomic(cacheFile, choice);
  return choice;
}

async function probeBoot(kernel: string, initrd: string, cpuModel: string | undefined): Promise<{ ok: true; ms: number } | { ok: false; why: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-probe-"));
  const consoleLog = path.join(dir, "console.log");
  const argv = qemuArgv({
    accel: "kvm",
    ...(cpuModel && { cpuModel }),
    cpus: 1,
    memoryMiB: 256,
    kernel,
    initrd,
    consoleLog,
  });
  const started = Date.now();
  const proc = tool(HOST_ARCH.qemu, argv, { all: true, stdin: "ignore" });
  try {
    while (Date.now() - started < PROBE_MS) {
      await new Promise((r) => setTimeout(r, 250));
      if ((await readConsoleFile(consoleLog)).includes("Linux version")) return { ok: true, ms: Date.now() - started };
      if (proc.exitCode !== null) {
        const r = await proc;
        return { ok: false, why: `qemu exited ${r.exitCode}: ${(r.all ?? "").split("\n")[0]}` };
      }
    }
    return { ok: false, why: `no console output in ${PROBE_MS / 1000}s` };
  } finally {
    proc.kill("SIGKILL");
    await proc;
    await fs.rm(dir, { recursive: true, force: true });
  }
}
