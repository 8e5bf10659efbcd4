import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { ResultPromise } from "execa";
import { HOST_ARCH } from "../../core/arch.js";
import { tool } from "../../core/exec.js";
import { shellQuote } from "../../core/shell.js";
import { GuestShell } from "../ssh.js";
import type { BootResult, GuestShellLike, VmImplementation, VmInstance, VmSpec } from "../types.js";
import { chooseAccel } from "./accel.js";
import { readConsoleFile } from "./console.js";
import { qemuArgv, type QemuSpec } from "./argv.js";

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

class QemuInstance implements VmInstance {
  constructor(
    readonly command: string,
    private readonly consoleLog: string,
    private readonly proc: ResultPromise,
    readonly shell: GuestShellLike,
  ) {}

  /** Set before kharness itself ends QEMU, so its own signals are told from anyone else's. */
  private ending = false;

  private get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  killedFromOutside(): boolean {
    return !this.ending && this.proc.signalCode !== null;
  }

  console(): Promise<string> {
    return readConsoleFile(this.consoleLog);
  }

  async waitExit(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return this.exited;
  }

  /** The disk is scratch and the console a file QEMU has written: nothing is lost by ending QEMU at once. */
  async stop(graceMs = 2000): Promise<void> {
    this.shell.close();
    this.ending = true;
    if (!this.exited) {
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      await this.proc.catch(() => undefined);
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.ending = true;
    this.shell.close();
    this.proc.kill("SIGKILL");
  }
}

/** ssh2's words for a guest that answered but refused us: the key or the protocol, not the kernel. */
const SSH_REFUSED = /authentication|handshake|protocol|host key|Host denied|verification failed|Unsupported/i;

function qemuSpec(spec: VmSpec, sshPort?: number): QemuSpec {
  return {
    accel: spec.accel.accel,
    ...(spec.accel.cpuModel && { cpuModel: spec.accel.cpuModel }),
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    kernel: spec.kernel,
    initrd: spec.initrd,
    ...(spec.disk && { disk: spec.disk }),
    consoleLog: spec.consoleLog,
    ...(sshPort !== undefined && { sshPort }),
    extraCmdline: spec.cmdline,
  };
}

/**
 * Start QEMU and wait until the guest's sshd takes our key. A guest that panics or stays
 * silent past the timeout is a kernel failure carrying its console; QEMU failing to start
 * (a taken port, a bad argument) or SSH refusing our key is an infra failure.
 */
async function boot(spec: VmSpec): Promise<BootResult> {
  await fs.mkdir(path.dirname(spec.consoleLog), { recursive: true });
  const sshPort = await freeLoopbackPort();
  const argv = qemuArgv(qemuSpec(spec, sshPort));
  const command = shellQuote([HOST_ARCH.qemu, ...argv]);
  const started = Date.now();
  const proc = tool(HOST_ARCH.qemu, argv, { all: true, stdin: "ignore" });
  const fail = async (cause: "kernel" | "infra", reason: string): Promise<BootResult> => {
    proc.kill("SIGKILL");
    const qemuOut = ((await proc).all ?? "").trim();
    const console = await readConsoleFile(spec.consoleLog).catch(() => "");
    return { ok: false, cause, reason: qemuOut ? `${reason}; qemu said: ${qemuOut.slice(0, 500)}` : reason, bootMs: Date.now() - started, console, command };
  };
  try {
    return await waitForGuest(spec, sshPort, proc, command, fail);
  } catch (err) {
    // Whatever went wrong while waiting (an unreadable console), QEMU does not outlive it.
    return fail("infra", (err as Error).message);
  }
}

/** Poll the console and SSH until the guest is ready, it ends, or the boot timeout passes. */
async function waitForGuest(spec: VmSpec, sshPort: number, proc: ResultPromise, command: string, fail: (cause: "kernel" | "infra", reason: string) => Promise<BootResult>): Promise<BootResult> {
  const started = Date.now();
  let lastSshError = "";
  while (Date.now() - started < spec.bootTimeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    const console = await readConsoleFile(spec.consoleLog);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      // Killed by a signal, or ended with no console at all: the host's failure (QEMU could not
      // start: an argument, a port, the image); else the guest ended itself (a panic reboots, and -no-reboot exits).
      const cause = proc.signalCode !== null || !console ? "infra" : "kernel";
      return fail(cause, `qemu ${proc.signalCode ? `was killed (${proc.signalCode})` : `exited (code ${proc.exitCode})`} before the guest was reachable`);
    }
    if (/Kernel panic - not syncing/.test(console)) return fail("kernel", "kernel panic during boot");
    if (!console.includes(spec.readyMarker)) continue;
    try {
      const shell = await GuestShell.connect(sshPort, spec.key, spec.hostPublicKey, 20000);
      return { ok: true, vm: new QemuInstance(command, spec.consoleLog, proc, shell), bootMs: Date.now() - started };
    } catch (err) {
      lastSshError = (err as Error).message;
      if (SSH_REFUSED.test(lastSshError)) return fail("infra", `the guest's sshd refused the connection: ${lastSshError}`);
      // sshd printed ready but the forward is not through yet: keep polling.
    }
  }
  const seconds = Math.round(spec.bootTimeoutMs / 1000);
  return fail("kernel", `no SSH within ${seconds}s${lastSshError ? ` (last SSH error: ${lastSshError})` : ""}`);
}

export const qemuVm: VmImplementation = {
  name: "qemu",
  command: (spec) => shellQuote([HOST_ARCH.qemu, ...qemuArgv(qemuSpec(spec, 10022))]),
  boot,
  accelerator: (probe, progress, force) => chooseAccel(probe.kernel, probe.initrd, progress, force),
  version: async () => (await tool(HOST_ARCH.qemu, ["--version"])).stdout.split("\n")[0],
};
