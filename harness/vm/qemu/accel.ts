import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isHostArch, refuseForeignKvm, type Arch } from "../../core/arch.js";
import { tool } from "../../core/exec.js";
import { writeJsonAtomic } from "../../core/files.js";
import { cacheRoot } from "../../core/paths.js";
import type { Progress } from "../../core/progress.js";
import { AccelChoiceSchema, type Accel, type AccelChoice } from "../../records/common.js";
import { readRecordIfExists } from "../../records/read.js";
import { qemuArgv } from "./argv.js";
import { readConsoleFile } from "./console.js";
import { qemuVersion } from "./version.js";

const PROBE_MS = 20000;

/** What the accelerator choice depends on, read from the host at the edge (hostFacts). */
export interface AccelFacts {
  /** Node's process.arch: only x86 CPUs say in /proc/cpuinfo whether they can virtualise. */
  hostArch: string;
  /** The words of /proc/cpuinfo's "flags" lines. */
  cpuFlags: ReadonlySet<string>;
  /** Why /dev/kvm cannot be opened read-write (an errno code), or undefined when it can. */
  kvmAccessError?: string;
  /** Host name, host kernel and QEMU version: a probe answer holds for this key only. */
  hostKey: string;
  /** The cached probe answer, if any (for any host key). */
  cached?: AccelChoice;
  force?: Accel;
  /** The guest's arch when it is not the host's (the arch table's isHostArch): KVM runs only the host's own arch. */
  foreignGuest?: string;
}

/** Either an answer now (no boot needed) or "probe": only a boot can tell whether KVM works. */
export type AccelDecision = { kind: "use"; choice: Omit<AccelChoice, "probedAt"> } | { kind: "probe" };

/**
 * The choice without a probe boot wherever one could not succeed: a forced accelerator, a
 * guest of another arch than the host's (TCG: KVM runs only the host's own), an x86 CPU without
 * vmx or svm (a probe boot there only costs its timeout, twice), a /dev/kvm we cannot open, or
 * this host's cached probe answer. Only then is a probe boot worth it.
 */
export function decideAccel(f: AccelFacts): AccelDecision {
  const use = (accel: Accel, reason: string): AccelDecision => ({
    kind: "use",
    choice: { accel, reason, hostKey: f.hostKey },
  });
  if (f.force) return use(f.force, `forced with --accel ${f.force}`);
  if (f.foreignGuest)
    return use("tcg", `an ${f.foreignGuest} guest on a ${f.hostArch} host: KVM runs only the host's own arch`);
  if ((f.hostArch === "x64" || f.hostArch === "ia32") && !f.cpuFlags.has("vmx") && !f.cpuFlags.has("svm")) {
    return use("tcg", "the CPU has no vmx or svm flag in /proc/cpuinfo: no hardware virtualisation for KVM");
  }
  if (f.kvmAccessError) return use("tcg", `/dev/kvm is not usable (${f.kvmAccessError})`);
  if (f.cached && f.cached.hostKey === f.hostKey) return { kind: "use", choice: f.cached };
  return { kind: "probe" };
}

/** The flags of every CPU in /proc/cpuinfo's text. */
export function cpuinfoFlags(cpuinfo: string): Set<string> {
  return new Set([...cpuinfo.matchAll(/^flags\s*:(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)));
}

export async function hostFacts(arch: Arch, cacheFile: string, force?: Accel): Promise<AccelFacts> {
  const kvmAccessError = await fs.access("/dev/kvm", fs.constants.R_OK | fs.constants.W_OK).then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err.code ?? err.message,
  );
  const cached = await readRecordIfExists(AccelChoiceSchema, cacheFile, "KVM probe cache entry");
  return {
    hostArch: process.arch,
    cpuFlags: cpuinfoFlags(await fs.readFile("/proc/cpuinfo", "utf8").catch(() => "")),
    ...(kvmAccessError && { kvmAccessError }),
    hostKey: `${os.hostname()} ${os.release()} ${arch.name} ${await qemuVersion(arch)}`,
    ...(cached && { cached }),
    ...(force && { force }),
    ...(!isHostArch(arch) && { foreignGuest: arch.name }),
  };
}

/**
 * /dev/kvm can exist and still not work (guests that never print, `-cpu host` aborting),
 * so where decideAccel cannot answer, KVM is chosen only when a short probe boot prints
 * the kernel banner. That answer is cached per host, QEMU version and host kernel. A guest
 * of another arch than the host's runs under TCG without a probe: KVM runs only the host's own arch.
 */
export async function chooseAccel(
  arch: Arch,
  kernel: string,
  initrd: string,
  progress: Progress,
  force?: Accel,
): Promise<AccelChoice> {
  refuseForeignKvm(arch, force);
  const cacheFile = path.join(cacheRoot(), "accel.json");
  const facts = await hostFacts(arch, cacheFile, force);
  return decideOrProbe(facts, cacheFile, () => probeKvm(arch, kernel, initrd, facts.hostKey, progress));
}

/** decideAccel's answer where it has one; else the probe's, kept in `cacheFile` for the next run on this host key. */
export async function decideOrProbe(
  facts: AccelFacts,
  cacheFile: string,
  probe: () => Promise<AccelChoice>,
): Promise<AccelChoice> {
  const decision = decideAccel(facts);
  if (decision.kind === "use") return { probedAt: new Date().toISOString(), ...decision.choice };
  const choice = await probe();
  await writeJsonAtomic(cacheFile, choice);
  return choice;
}

/** Probe boots with -cpu host, then QEMU's default model: KVM if either prints the banner. */
export async function probeKvm(
  arch: Arch,
  kernel: string,
  initrd: string,
  hostKey: string,
  progress: Progress,
): Promise<AccelChoice> {
  progress.stage("probe KVM");
  const probedAt = new Date().toISOString();
  const failures: string[] = [];
  for (const cpuModel of ["host", undefined]) {
    const seen = await probeBoot(arch, kernel, initrd, cpuModel);
    if (seen.ok) {
      const reason = `KVM probe boot printed the kernel banner in ${seen.ms} ms`;
      const choice: AccelChoice = { accel: "kvm", ...(cpuModel && { cpuModel }), reason, probedAt, hostKey };
      progress.done(`using KVM (${choice.reason})`);
      return choice;
    }
    failures.push(`-cpu ${cpuModel ?? "default"}: ${seen.why}`);
  }
  const choice: AccelChoice = {
    accel: "tcg",
    reason: `/dev/kvm exists but KVM does not boot a guest (${failures.join("; ")})`,
    probedAt,
    hostKey,
  };
  progress.done(`using TCG: ${choice.reason}`);
  return choice;
}

async function probeBoot(
  arch: Arch,
  kernel: string,
  initrd: string,
  cpuModel: string | undefined,
): Promise<{ ok: true; ms: number } | { ok: false; why: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-probe-"));
  const consoleLog = path.join(dir, "console.log");
  const argv = qemuArgv({
    arch,
    accel: "kvm",
    ...(cpuModel && { cpuModel }),
    cpus: 1,
    memoryMiB: 256,
    kernel,
    initrd,
    consoleLog,
  });
  const started = Date.now();
  const proc = tool(arch.qemu, argv, { all: true, stdin: "ignore" });
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
