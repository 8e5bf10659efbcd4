import type { Arch } from "../core/arch.js";
import type { Progress } from "../core/progress.js";
import type { Accel, AccelChoice, BootStart } from "../records/common.js";
import type { ExecResult, SshKeyPair } from "./ssh.js";

/** What a guest runs commands on: one SSH connection, many exec channels. */
export interface GuestShellLike {
  /** `onData` sees the command's stdout as it arrives (workload progress). */
  exec(command: string, timeoutMs: number, onData?: (chunk: string) => void): Promise<ExecResult>;
  close(): void;
}

/** Everything needed to boot one guest; the implementation picks ports and binaries. */
export interface VmSpec {
  /** The guest's arch (its QEMU, machine, devices and console). */
  arch: Arch;
  accel: AccelChoice;
  cpus: number;
  memoryMiB: number;
  kernel: string;
  initrd: string;
  /** Raw disk image for the workload, attached as the first virtio disk (/dev/vda). */
  disk?: string;
  /** The serial console is written here from the first byte (a restored guest's starts with its snapshot's). */
  consoleLog: string;
  /** Extra kernel parameters. */
  cmdline: string[];
  key: SshKeyPair;
  /** The host key the guest's sshd must present ("ssh-ed25519 AAAA..."). */
  hostPublicKey: string;
  /** The guest prints this on its console when sshd listens. */
  readyMarker: string;
  bootTimeoutMs: number;
  /**
   * Start from the booted snapshot of this kernel, initramfs, QEMU, disk size and shape when there
   * is one, and save one after a cold boot when there is not (the scenario's vm.restore).
   */
  snapshot?: boolean;
}

/** A running guest. */
export interface VmInstance {
  /** The command line that started it, to reproduce by hand. */
  readonly command: string;
  readonly shell: GuestShellLike;
  /** The console so far ("" before QEMU opened it); an unreadable one throws an InfraError. */
  console(): Promise<string>;
  /** Wait up to `ms` for the VM to end (a panic ends it, and so does a kill: see killedFromOutside); true if it did. */
  waitExit(ms: number): Promise<boolean>;
  /** The VM was killed by something other than kharness (a signal from outside): the host's doing, not the kernel's. */
  killedFromOutside(): boolean;
  /**
   * End the guest (it is not shut down: the disk is scratch, the console already written); resolves when it
   * is gone.
   */
  stop(): Promise<void>;
  /** End it now without waiting (cleanup on the way out). */
  kill(): void;
}

/**
 * How a boot ended. A failure is `kernel` when it is evidence about the kernel (a panic
 * during boot, a guest that never became ready) and `infra` when the host failed (QEMU
 * did not start, a port was taken, SSH refused our key, a snapshot did not restore): infra
 * is retried, never judged.
 */
export type BootResult =
  | { ok: true; vm: VmInstance; bootMs: number; start: BootStart; warning?: string }
  | { ok: false; cause: "kernel" | "infra"; reason: string; bootMs: number; console: string; command: string };

/** A way to run guests: QEMU, or a fake that replays recorded consoles in tests. */
export interface VmImplementation {
  readonly name: string;
  /** The command line `boot` would run, for --dry-run and the record. */
  command(spec: VmSpec): string;
  boot(spec: VmSpec): Promise<BootResult>;
  /** The accelerator to use on this host (probed with this kernel and initrd), or the forced one. */
  accelerator(
    probe: { arch: Arch; kernel: string; initrd: string },
    progress: Progress,
    force?: Accel,
  ): Promise<AccelChoice>;
  /** The implementation's version for guests of that arch, for the host record. */
  version(arch: Arch): Promise<string | undefined>;
}
