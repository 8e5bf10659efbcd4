/** The QEMU command line as data: one pure function, printable with --dry-run. */
import type { Arch } from "../../core/arch.js";
import { shellQuote } from "../../core/shell.js";
import type { Accel } from "../../records/common.js";

/** Where a shown command line has the SSH port, which each boot picks when it starts. */
export const SSH_PORT_PLACEHOLDER = "<free-port>";

export interface QemuSpec {
  /** The guest's arch: the machine, its devices, its console and its CPU under TCG come from the arch table. */
  arch: Arch;
  accel: Accel;
  /** CPU model (the KVM probe's choice); undefined takes the arch's TCG model, or QEMU's default. */
  cpuModel?: string;
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initrd: string;
  /** Raw disk image for the workload, attached as virtio-blk (/dev/vda). */
  disk?: string;
  consoleLog: string;
  /**
   * Host port on 127.0.0.1 forwarded to the guest's sshd (the placeholder where a command
   * is only shown: each boot takes a free one); no network at all when absent.
   */
  sshPort?: number | typeof SSH_PORT_PLACEHOLDER;
  extraCmdline?: string[];
  /** The VM generation ID (a UUID): a new one on each restore makes the guest reseed its RNG. */
  vmgenid?: string;
  /** A QMP socket (a unix path) to stop, save and watch the guest through. */
  qmpSocket?: string;
  /** Start from this saved state (a booted snapshot) instead of booting; the console is appended to. */
  incoming?: string;
}

/**
 * The kernel command line: serial console, no reboot loop on panic. Detector thresholds
 * stay at the config's defaults; a scenario shortens them with `vm.cmdline` (as sysctl.*
 * parameters: a bare hung_task_timeout_secs= is not a boot parameter and only reaches init).
 */
export function kernelCmdline(arch: Arch, extra: string[] = []): string {
  return [`console=${arch.console}`, "rdinit=/init", "panic=-1", "printk.devkmsg=on", ...extra].join(" ");
}

/** -cpu: the one asked for, else the arch's model under TCG (the one that emulates fastest), else none. */
function cpuArgs(spec: QemuSpec): string[] {
  const cpu = spec.cpuModel ?? (spec.accel === "tcg" ? spec.arch.tcgCpu : undefined);
  return cpu ? ["-cpu", cpu] : [];
}

export function qemuArgv(spec: QemuSpec): string[] {
  const { devices } = spec.arch;
  const argv = [
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-no-reboot",
    "-machine",
    spec.arch.machine,
    "-accel",
    spec.accel === "tcg" ? "tcg,thread=multi" : "kvm",
    ...cpuArgs(spec),
    "-smp",
    String(spec.cpus),
    "-m",
    `${spec.memoryMiB}M`,
    "-kernel",
    spec.kernel,
    "-initrd",
    spec.initrd,
    "-append",
    kernelCmdline(spec.arch, spec.extraCmdline),
    // The console goes to a file from the first byte; nothing reads the serial port.
    "-chardev",
    `file,id=console,path=${spec.consoleLog}${spec.incoming ? ",append=on" : ""}`,
    "-serial",
    "chardev:console",
  ];
  if (spec.sshPort !== undefined) {
    // restrict=on: the guest reaches no network; only the loopback forward gets in.
    argv.push(
      "-netdev",
      `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${spec.sshPort}-:22`,
      "-device",
      `${devices.net},netdev=net0`,
    );
  }
  // Entropy from the host at once: nothing in the guest waits for its pool to fill.
  argv.push("-device", devices.rng);
  if (spec.disk) argv.push("-drive", `file=${spec.disk},format=raw,if=${devices.diskIf},cache=unsafe`);
  // Only where the arch's guest reads one (an ACPI device): elsewhere QEMU would add a device nothing sees.
  if (spec.vmgenid && spec.arch.vmgenid) argv.push("-device", `vmgenid,guid=${spec.vmgenid}`);
  if (spec.qmpSocket) argv.push("-qmp", `unix:${spec.qmpSocket},server=on,wait=off`);
  // exec:, not file: (QEMU 8.2 and later): the state streams in through cat, and the guest runs once it is loaded.
  if (spec.incoming) argv.push("-incoming", `exec:cat ${shellQuote([spec.incoming])}`);
  return argv;
}
