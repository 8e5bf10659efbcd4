/** The QEMU command line as data: one pure function, printable with --dry-run. */
import { HOST_ARCH } from "../../core/arch.js";
import { shellQuote } from "../../core/shell.js";
import type { Accel } from "../../records/common.js";

/** Where a shown command line has the SSH port, which each boot picks when it starts. */
export const SSH_PORT_PLACEHOLDER = "<free-port>";

export interface QemuSpec {
  accel: Accel;
  /** CPU model; undefined keeps QEMU's default for the accelerator. */
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
export function kernelCmdline(extra: string[] = []): string {
  return [`console=${HOST_ARCH.console}`, "rdinit=/init", "panic=-1", "printk.devkmsg=on", ...extra].join(" ");
}

export function qemuArgv(spec: QemuSpec): string[] {
  const argv = [
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-no-reboot",
    "-machine",
    HOST_ARCH.machine,
    "-accel",
    spec.accel === "tcg" ? "tcg,thread=multi" : "kvm",
    ...(spec.cpuModel ? ["-cpu", spec.cpuModel] : []),
    "-smp",
    String(spec.cpus),
    "-m",
    `${spec.memoryMiB}M`,
    "-kernel",
    spec.kernel,
    "-initrd",
    spec.initrd,
    "-append",
    kernelCmdline(spec.extraCmdline),
    // The console goes to a file from the first byte; nothing reads the serial port.
    "-chardev",
    `file,id=console,path=${spec.consoleLog}${spec.incoming ? ",append=on" : ""}`,
    "-serial",
    "chardev:console",
  ];
  if (spec.sshPort !== undefined) {
    // restrict=on: the guest reaches no network; only the loopback forward gets in.
    argv.push("-netdev", `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${spec.sshPort}-:22`, "-device", "virtio-net-pci,netdev=net0");
  }
  // Entropy from the host at once: nothing in the guest waits for its pool to fill.
  argv.push("-device", "virtio-rng-pci");
  if (spec.disk) argv.push("-drive", `file=${spec.disk},format=raw,if=virtio,cache=unsafe`);
  if (spec.vmgenid) argv.push("-device", `vmgenid,guid=${spec.vmgenid}`);
  if (spec.qmpSocket) argv.push("-qmp", `unix:${spec.qmpSocket},server=on,wait=off`);
  // exec:, not file: (QEMU 8.2 and later): the state streams in through cat, and the guest runs once it is loaded.
  if (spec.incoming) argv.push("-incoming", `exec:cat ${shellQuote([spec.incoming])}`);
  return argv;
}
