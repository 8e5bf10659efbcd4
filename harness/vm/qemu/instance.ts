import { randomUUID } from "node:crypto";
import { createWriteStream, promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { ResultPromise } from "execa";
import { tool } from "../../core/exec.js";
import { shellQuote } from "../../core/shell.js";
import { GuestShell } from "../ssh.js";
import type { BootResult, GuestShellLike, VmInstance, VmSpec } from "../types.js";
import { readConsoleFile } from "./console.js";
import { qemuArgv, type QemuSpec } from "./argv.js";
import { Qmp } from "./qmp.js";

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

/** A QEMU process kharness started, with the argv that reproduces it. */
export interface QemuProcess {
  proc: ResultPromise;
  command: string;
  started: number;
  /** SSH's forward on 127.0.0.1 to the guest's port 22. */
  sshPort: number;
  /** Where QMP listens (see argv's qmpSocket). */
  qmpSocket: string;
}

export class QemuInstance implements VmInstance {
  constructor(
    private readonly qemu: QemuProcess,
    private readonly consoleLog: string,
    private currentShell: GuestShellLike,
  ) {}

  /** Set before kharness itself ends QEMU, so its own signals are told from anyone else's. */
  private ending = false;

  get command(): string {
    return this.qemu.command;
  }

  get shell(): GuestShellLike {
    return this.currentShell;
  }

  private get exited(): boolean {
    return this.qemu.proc.exitCode !== null || this.qemu.proc.signalCode !== null;
  }

  killedFromOutside(): boolean {
    return !this.ending && this.qemu.proc.signalCode !== null;
  }

  console(): Promise<string> {
    return readConsoleFile(this.consoleLog);
  }

  async waitExit(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return this.exited;
  }

  /**
   * Save the running guest to `file` (QEMU's migration stream), then let it run on. The SSH
   * session is closed first and the guest stopped: the saved guest holds no session of ours,
   * and the state is one consistent moment (no live-migration passes). A new session is the
   * caller's (reconnect).
   */
  async saveState(file: string): Promise<void> {
    this.currentShell.close();
    // Time for dropbear's session to see the close and end, so the saved guest has no half-closed session.
    await new Promise((r) => setTimeout(r, 300));
    const qmp = await Qmp.connect(this.qemu.qmpSocket, 5000, () => !this.exited);
    const receiver = await streamReceiver(file);
    try {
      await qmp.execute("stop");
      await qmp.execute("migrate", { uri: `unix:${receiver.socket}` });
      for (;;) {
        const m = await qmp.execute<{ status?: string; "error-desc"?: string }>("query-migrate");
        if (m.status === "completed") break;
        if (m.status === "failed" || m.status === "cancelled")
          throw new Error(`the save to ${file} ${m.status}: ${m["error-desc"] ?? "no reason given"}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await receiver.written;
    } finally {
      receiver.close();
      // The guest runs on whether or not the save worked (it was stopped for it).
      await resume(qmp).finally(() => qmp.close());
    }
  }

  reconnect(shell: GuestShellLike): void {
    this.currentShell = shell;
  }

  /** The disk is scratch and the console a file QEMU has written: nothing is lost by ending QEMU at once. */
  async stop(graceMs = 2000): Promise<void> {
    this.currentShell.close();
    this.ending = true;
    if (!this.exited) {
      this.qemu.proc.kill("SIGTERM");
      const timer = setTimeout(() => this.qemu.proc.kill("SIGKILL"), graceMs);
      await this.qemu.proc.catch(() => undefined);
      clearTimeout(timer);
    }
    await fs.rm(this.qemu.qmpSocket, { force: true });
  }

  kill(): void {
    this.ending = true;
    this.currentShell.close();
    this.qemu.proc.kill("SIGKILL");
    void fs.rm(this.qemu.qmpSocket, { force: true });
  }
}

/**
 * Where QEMU sends a migration stream to be saved: a unix socket kharness listens on and
 * copies into `file`; `written` resolves once the file holds the whole stream. Not
 * `exec:cat > FILE`: QEMU 7.2 ends an exec: command it has closed with SIGTERM (and SIGKILL
 * 10 ms later) when it has not exited yet, and cat's last buffer was lost (a restore then
 * failed to load the state).
 */
async function streamReceiver(file: string): Promise<{ socket: string; written: Promise<void>; close(): void }> {
  const socket = path.join(os.tmpdir(), `kharness-save-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
  const server = net.createServer();
  const written = new Promise<void>((resolve, reject) => {
    server.once("connection", (conn) => {
      const out = createWriteStream(file);
      conn.on("error", reject);
      out.on("error", reject).on("finish", resolve);
      conn.pipe(out);
    });
  });
  // A save that fails before QEMU connects must not leave an unhandled rejection behind.
  written.catch(() => undefined);
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
  return { socket, written, close: () => void server.close(() => fs.rm(socket, { force: true })) };
}

/**
 * `cont` until the guest runs. Right after a migration's "completed" QEMU is still in
 * finish-migrate for a moment and refuses `cont`; a restored guest loads (inmigrate) and
 * then stays paused, as the saved one was when it was saved.
 */
export async function resume(qmp: Qmp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await qmp.execute<{ status: string }>("query-status");
    if (status === "running") return;
    if (Date.now() > deadline) throw new Error(`the guest stayed ${status}`);
    if (status !== "finish-migrate" && status !== "inmigrate") await qmp.execute("cont").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** ssh2's words for a guest that answered but refused us: the key or the protocol, not the kernel. */
export const SSH_REFUSED = /authentication|handshake|protocol|host key|Host denied|verification failed|Unsupported/i;

export function qemuSpec(spec: VmSpec, sshPort?: QemuSpec["sshPort"]): QemuSpec {
  return {
    arch: spec.arch,
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
 * A boot's QMP socket: in the temp directory, since a unix socket's path has at most 108 bytes (a results
 * path may not fit).
 */
export function newQmpSocket(): string {
  return path.join(os.tmpdir(), `kharness-qmp-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
}

export type Fail = (cause: "kernel" | "infra", reason: string) => Promise<BootResult>;

/**
 * Start QEMU (the guest arch's binary) with `argv`; `fail` ends it and makes the failed BootResult, with
 * what QEMU said and the console.
 */
export function startQemu(
  binary: string,
  argv: string[],
  sshPort: number,
  qmpSocket: string,
  consoleLog: string,
): { qemu: QemuProcess; fail: Fail } {
  const command = shellQuote([binary, ...argv]);
  const started = Date.now();
  const proc = tool(binary, argv, { all: true, stdin: "ignore" });
  const fail: Fail = async (cause, reason) => {
    proc.kill("SIGKILL");
    const qemuOut = ((await proc).all ?? "").trim();
    await fs.rm(qmpSocket, { force: true });
    const console = await readConsoleFile(consoleLog).catch(() => "");
    return {
      ok: false,
      cause,
      reason: qemuOut ? `${reason}; qemu said: ${qemuOut.slice(0, 500)}` : reason,
      bootMs: Date.now() - started,
      console,
      command,
    };
  };
  return { qemu: { proc, command, started, sshPort, qmpSocket }, fail };
}

/**
 * Start QEMU (with QMP, so the guest can be saved) and wait until the guest's sshd takes our key. A guest
 * that panics or stays silent past the timeout is a kernel failure carrying its console; QEMU failing to
 * start (a taken port, a bad argument) or SSH refusing our key is an infra failure.
 */
export async function coldBoot(spec: VmSpec): Promise<{ boot: BootResult; qemu?: QemuProcess }> {
  const sshPort = await freeLoopbackPort();
  const qmpSocket = newQmpSocket();
  // A generation ID on every boot, restored or not: both kinds of run get the same machine.
  const argv = qemuArgv({ ...qemuSpec(spec, sshPort), vmgenid: randomUUID(), qmpSocket });
  const { qemu, fail } = startQemu(spec.arch.qemu, argv, sshPort, qmpSocket, spec.consoleLog);
  try {
    return { boot: await waitForGuest(spec, qemu, fail), qemu };
  } catch (err) {
    // Whatever went wrong while waiting (an unreadable console), QEMU does not outlive it.
    return { boot: await fail("infra", (err as Error).message) };
  }
}

/** Poll the console and SSH until the guest is ready, it ends, or the boot timeout passes. */
async function waitForGuest(spec: VmSpec, qemu: QemuProcess, fail: Fail): Promise<BootResult> {
  const { proc } = qemu;
  let lastSshError = "";
  while (Date.now() - qemu.started < spec.bootTimeoutMs) {
    await new Promise((r) => setTimeout(r, 250));
    const console = await readConsoleFile(spec.consoleLog);
    if (proc.exitCode !== null || proc.signalCode !== null) {
      // Killed by a signal, or ended with no console at all: the host's failure (QEMU could not
      // start: an argument, a port, the image); else the guest ended itself (a panic reboots, and -no-reboot exits).
      const cause = proc.signalCode !== null || !console ? "infra" : "kernel";
      return fail(
        cause,
        `qemu ${proc.signalCode ? `was killed (${proc.signalCode})` : `exited (code ${proc.exitCode})`}` +
          " before the guest was reachable",
      );
    }
    if (/Kernel panic - not syncing/.test(console)) return fail("kernel", "kernel panic during boot");
    if (!console.includes(spec.readyMarker)) continue;
    try {
      const shell = await GuestShell.connect(qemu.sshPort, spec.key, spec.hostPublicKey, 20000);
      return {
        ok: true,
        vm: new QemuInstance(qemu, spec.consoleLog, shell),
        bootMs: Date.now() - qemu.started,
        start: "cold",
      };
    } catch (err) {
      lastSshError = (err as Error).message;
      if (SSH_REFUSED.test(lastSshError))
        return fail("infra", `the guest's sshd refused the connection: ${lastSshError}`);
      // sshd printed ready but the forward is not through yet: keep polling.
    }
  }
  const seconds = Math.round(spec.bootTimeoutMs / 1000);
  return fail("kernel", `no SSH within ${seconds}s${lastSshError ? ` (last SSH error: ${lastSshError})` : ""}`);
}
