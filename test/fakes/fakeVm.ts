import { promises as fs } from "node:fs";
import path from "node:path";
import { projectRoot } from "../../harness/core/paths.js";
import type { ExecResult } from "../../harness/vm/ssh.js";
import type { BootResult, GuestShellLike, VmImplementation, VmSpec } from "../../harness/vm/types.js";

/** A committed console captured by this harness from a real kernel. */
export const fixture = (name: string) => path.join(projectRoot, "test", "fixtures", name);

/**
 * How one fake boot goes. `console` is a real console to replay; the guest "prints" it
 * into the run's console file, as QEMU's serial chardev would: all of it at boot, or over
 * time when `printed` says how.
 *  - ok: boots; the workload completes (or `workload` says how it ends)
 *  - panic: the kernel dies during boot (evidence)
 *  - infra: the host fails before the guest (QEMU did not start, SSH refused the key)
 */
export type FakeBoot =
  | { boot: "ok"; console: string; workload?: Ending; printed?: PrintPace }
  | { boot: "panic"; console: string }
  | { boot: "infra"; reason: string };

/**
 * How the workload ends: completed, crash (the guest dies), hang (SSH drops, the VM lives),
 * error (a command fails), slow (it runs on and the guest answers probes), wedge (it runs
 * on, prints nothing, and the guest answers nothing), mute (slow, and dmesg never answers,
 * as a tainted guest in its cascade).
 */
type Ending = "completed" | "crash" | "hang" | "error" | "slow" | "wedge" | "mute";

/** A console printed over time: its first `atBoot` lines at boot, then `lines` more every `everyMs`. */
export interface PrintPace {
  atBoot: number;
  lines: number;
  everyMs: number;
}

/** Print `text` into `file` as a running guest does; the returned function stops the printing (the VM is gone). */
async function printConsole(file: string, text: string, pace?: PrintPace): Promise<() => void> {
  if (!pace) {
    await fs.writeFile(file, text);
    return () => undefined;
  }
  const lines = text.split(/(?<=\n)/);
  await fs.writeFile(file, lines.slice(0, pace.atBoot).join(""));
  let next = pace.atBoot;
  let timer: NodeJS.Timeout | undefined;
  const print = async () => {
    if (next >= lines.length) return;
    await fs.appendFile(file, lines.slice(next, (next += pace.lines)).join(""));
    timer = setTimeout(() => void print().catch(() => undefined), pace.everyMs);
  };
  timer = setTimeout(() => void print().catch(() => undefined), pace.everyMs);
  return () => {
    next = lines.length;
    clearTimeout(timer);
  };
}

const ok = (stdout = ""): ExecResult => ({ code: 0, stdout, stderr: "", timedOut: false });
const dropped: ExecResult = { code: null, stdout: "", stderr: "", timedOut: false };

/** A guest shell whose workload ends as scripted; dmesg and sysrq only answer a live guest. */
function fakeShell(ending: Ending, exec: string[]): GuestShellLike {
  let workloadDone = false;
  return {
    async exec(command: string, timeoutMs: number) {
      exec.push(command);
      const alive =
        ending === "completed" || ending === "error" || ending === "slow" || ending === "mute" || !workloadDone;
      // A wedged guest takes the connection and never answers: the caller's timeout ends the wait.
      const timedOut = () =>
        new Promise<ExecResult>((r) =>
          setTimeout(() => r({ code: null, stdout: "", stderr: "", timedOut: true }), timeoutMs),
        );
      if (command === "dmesg" && ending === "mute") return timedOut();
      if (/^(dmesg|true)$|sysrq-trigger|poweroff/.test(command))
        return alive ? ok() : ending === "wedge" ? timedOut() : dropped;
      if (ending === "slow" || ending === "wedge" || ending === "mute") {
        workloadDone = ending === "wedge";
        return new Promise<ExecResult>(() => {});
      }
      workloadDone = true;
      if (ending === "error") return { code: 1, stdout: "", stderr: "mke2fs: no such device", timedOut: false };
      return ending === "completed" ? ok("writer done\n") : dropped;
    },
    close() {},
  };
}

/**
 * A VM implementation that replays recorded consoles instead of booting: the crash, hang,
 * boot-failure and infra paths of the pipeline run without QEMU. Each boot takes the next
 * script entry (the last one repeats), or what a script function says for that boot.
 */
export function fakeVm(
  script: FakeBoot[] | ((spec: VmSpec, boots: VmSpec[]) => FakeBoot),
  name = "fake",
): VmImplementation & { boots: VmSpec[]; exec: string[] } {
  const boots: VmSpec[] = [];
  const exec: string[] = [];
  return {
    name,
    boots,
    exec,
    command: (spec) => `fake-vm ${spec.kernel} -smp ${spec.cpus}`,
    accelerator: async () => ({ accel: "tcg", reason: "fake VM", probedAt: "", hostKey: "fake" }),
    version: async () => "fake 1.0",
    async boot(spec): Promise<BootResult> {
      const step =
        typeof script === "function" ? script(spec, boots) : script[Math.min(boots.length, script.length - 1)]!;
      boots.push(spec);
      const command = `fake-vm ${spec.kernel}`;
      if (step.boot === "infra")
        return { ok: false, cause: "infra", reason: step.reason, bootMs: 5, console: "", command };
      const text = step.console ? await fs.readFile(step.console, "utf8") : "";
      const stopPrinting = await printConsole(spec.consoleLog, text, step.boot === "ok" ? step.printed : undefined);
      if (step.boot === "panic")
        return { ok: false, cause: "kernel", reason: "kernel panic during boot", bootMs: 10, console: text, command };
      const ending = step.workload ?? "completed";
      return {
        ok: true,
        bootMs: 10,
        start: "cold",
        vm: {
          command,
          shell: fakeShell(ending, exec),
          console: () => fs.readFile(spec.consoleLog, "utf8"),
          waitExit: async () => ending === "crash",
          killedFromOutside: () => false,
          stop: async () => stopPrinting(),
          kill: stopPrinting,
        },
      };
    },
  };
}
