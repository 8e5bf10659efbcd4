import { promises as fs } from "node:fs";
import net from "node:net";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { track } from "../core/children.js";
import { shellQuote } from "../core/shell.js";
import { READY_MARKER } from "../image/guestInit.js";
import { qemuArgv, type QemuSpec } from "./qemu.js";
import { GuestShell, type SshKeyPair } from "./ssh.js";

export const QEMU = "qemu-system-x86_64";

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

export type BootOutcome =
  | { ok: true; vm: Vm; bootMs: number }
  | { ok: false; reason: string; bootMs: number; console: string };

/** A running guest: its console file, an SSH shell, and a way to stop it. */
export class Vm {
  constructor(
    readonly spec: QemuSpec,
    readonly argv: string[],
    private readonly proc: ResultPromise,
    readonly shell: GuestShell,
  ) {}

  /** QEMU has exited (a panic with panic=-1 and -no-reboot ends it). */
  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** Wait up to `ms` for QEMU to exit on its own (a panicking guest takes a moment); true if it did. */
  async waitForExit(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return this.exited;
  }

  /** Power off cleanly if the guest still answers, else kill QEMU; always waits for exit. */
  async stop(graceMs = 15000): Promise<void> {
    if (this.proc.exitCode === null && this.proc.pid !== undefined) {
      await this.shell.exec("sync; poweroff -f", 3000).catch(() => undefined);
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      await this.proc.catch(() => undefined);
      clearTimeout(timer);
    }
    this.shell.close();
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

export async function readConsole(file: string): Promise<string> {
  return fs.readFile(file, "utf8").catch(() => "");
}

/**
 * Start QEMU and wait until the guest's sshd takes our key. A guest that panics, exits or
 * stays silent past the timeout is a boot failure carrying its console, never a hang.
 */
export async function bootVm(spec: QemuSpec, key: SshKeyPair, timeoutMs: number): Promise<BootOutcome> {
  await fs.mkdir(path.dirname(spec.consoleLog), { recursive: true });
  const argv = qemuArgv(spec);
  const started = Date.now();
  const proc = track(execa(QEMU, argv, { reject: false, all: true, stdin: "ignore" }));
  let exited = false;
  void proc.then(() => (exited = true));
  const fail = async (reason: string): Promise<BootOutcome> => {
    proc.kill("SIGKILL");
    const r = await proc;
    const qemuOut = (r.all ?? "").trim();
    return {
      ok: false,
      reason: qemuOut ? `${reason}; qemu said: ${qemuOut.slice(0, 500)}` : reason,
      bootMs: Date.now() - started,
      console: await readConsole(spec.consoleLog),
    };
  };
  while (Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 500));
    if (exited) return fail(`qemu exited (code ${proc.exitCode}) before the guest was reachable`);
    const console = await readConsole(spec.consoleLog);
    if (/Kernel panic - not syncing/.test(console)) return fail("kernel panic during boot");
    if (!console.includes(READY_MARKER) || spec.sshPort === undefined) continue;
    try {
      const shell = await GuestShell.connect(spec.sshPort, key, 20000);
      return { ok: true, vm: new Vm(spec, argv, proc, shell), bootMs: Date.now() - started };
    } catch {
      // sshd printed ready but the forward is not through yet: keep polling.
    }
  }
  return fail(`no SSH within ${Math.round(timeoutMs / 1000)}s`);
}

/** The full command line, for logs and --dry-run. */
export function qemuCommand(spec: QemuSpec): string {
  return shellQuote([QEMU, ...qemuArgv(spec)]);
}
