import { z } from "zod";
import { UserError } from "./errors.js";

/**
 * Everything that differs between target architectures, as data. Code elsewhere reads
 * these fields and compares `node` with the host's; it never branches on an arch's name.
 */
export interface Arch {
  /** The name on the command line, in cache keys, records and scenario keys. */
  name: string;
  /** ARCH= for make. */
  make: string;
  /** The CROSS_COMPILE prefix when the host is another arch (Debian's cross gcc), and its package. */
  cross: { prefix: string; package: string };
  /** The boot image, relative to the build directory, and the make target that builds it. */
  image: string;
  target: string;
  qemu: string;
  qemuPackage: string;
  /** QEMU's machine type. */
  machine: string;
  /** The -cpu model under TCG; undefined keeps QEMU's default. */
  tcgCpu?: string;
  /**
   * Device names on that machine: the guest's network card, entropy source, and the -drive if= of its disk
   * (/dev/vda).
   */
  devices: { net: string; rng: string; diskIf: string };
  /** The kernel's name for the first serial port. */
  console: string;
  /**
   * Whether the guest reads a VM generation ID (QEMU's -device vmgenid, an ACPI device): a
   * restored snapshot then reseeds its RNG. x86 only; arm64's 6.1 kernels find none in a device tree.
   */
  vmgenid: boolean;
  /** Config fragments this arch adds to every recipe's, relative to kernels/. */
  fragments: string[];
  /** Node's process.arch for a host of this arch: KVM runs a guest only on a host of its own arch. */
  node: string;
  /** Debian's architecture name (for the guest's busybox and dropbear packages) and the multiarch lib directory. */
  debian: string;
  multiarch: string;
  /** KCIDB's architecture name. */
  kcidb: string;
}

export const ARCHES = {
  x86_64: {
    name: "x86_64",
    make: "x86_64",
    cross: { prefix: "x86_64-linux-gnu-", package: "gcc-x86-64-linux-gnu" },
    image: "arch/x86/boot/bzImage",
    target: "bzImage",
    qemu: "qemu-system-x86_64",
    qemuPackage: "qemu-system-x86",
    // q35 routes PCI interrupts without the ACPI link devices that cost the pc machine seconds of boot under TCG.
    machine: "q35",
    devices: { net: "virtio-net-pci", rng: "virtio-rng-pci", diskIf: "virtio" },
    console: "ttyS0",
    vmgenid: true,
    fragments: ["fragments/arch/x86_64.config"],
    node: "x64",
    debian: "amd64",
    multiarch: "x86_64-linux-gnu",
    kcidb: "x86_64",
  },
  arm64: {
    name: "arm64",
    make: "arm64",
    cross: { prefix: "aarch64-linux-gnu-", package: "gcc-aarch64-linux-gnu" },
    image: "arch/arm64/boot/Image",
    target: "Image",
    qemu: "qemu-system-aarch64",
    qemuPackage: "qemu-system-arm",
    // virt: a device tree, PSCI for CPU on/off (QEMU's firmware speaks PSCI 1.1) and a generic PCI host.
    machine: "virt",
    tcgCpu: "cortex-a57",
    // PCI on virt, as on q35: one set of virtio drivers (VIRTIO_PCI) for both arches.
    devices: { net: "virtio-net-pci", rng: "virtio-rng-pci", diskIf: "virtio" },
    console: "ttyAMA0",
    vmgenid: false,
    fragments: ["fragments/arch/arm64.config"],
    node: "arm64",
    debian: "arm64",
    multiarch: "aarch64-linux-gnu",
    kcidb: "arm64",
  },
} satisfies Record<string, Arch>;

export type ArchName = keyof typeof ARCHES;
export const ARCH_NAMES = Object.keys(ARCHES) as ArchName[];

/** An arch's name in a scenario, a matrix, a recipe or a record: one of the table's. */
export const ArchNameSchema = z.enum(ARCH_NAMES as [ArchName, ...ArchName[]], {
  message: `must be one of ${ARCH_NAMES.join(", ")}`,
});

/** The arch a run builds for unless told otherwise: the first one (x86_64), whatever the host. */
export const DEFAULT_ARCH: ArchName = "x86_64";

export function isArchName(name: string): name is ArchName {
  return Object.hasOwn(ARCHES, name);
}

/** The table's entry for a name from the command line or a file; an unknown name is an input error. */
export function archByName(name: string, where = "--arch"): Arch {
  if (!isArchName(name))
    throw new UserError(`${where}: unknown arch "${name}"`, `use one of: ${ARCH_NAMES.join(", ")}`);
  return ARCHES[name];
}

/** Whether the host is of this arch: then its own gcc builds, its own binaries run in the guest, and KVM may. */
export function isHostArch(arch: Arch, hostNode: string = process.arch): boolean {
  return arch.node === hostNode;
}

/** `--accel kvm` for a guest of another arch than the host's is an input error: KVM runs only the host's own. */
export function refuseForeignKvm(arch: Arch, force: string | undefined, hostNode: string = process.arch): void {
  if (force !== "kvm" || isHostArch(arch, hostNode)) return;
  throw new UserError(
    `--accel kvm: KVM cannot run an ${arch.name} guest on this ${hostArchName(hostNode)} host`,
    `leave --accel out (TCG is used), or run on an ${arch.name} host`,
  );
}

/** CROSS_COMPILE for this arch on this host: none on its own arch, so a native build stays the one it always was. */
export function crossPrefix(arch: Arch, hostNode: string = process.arch): string {
  return isHostArch(arch, hostNode) ? "" : arch.cross.prefix;
}

/** make's variables that choose the target: ARCH, and CROSS_COMPILE when the host is another arch. */
export function makeArchVars(arch: Arch, hostNode: string = process.arch): string[] {
  const prefix = crossPrefix(arch, hostNode);
  return [`ARCH=${arch.make}`, ...(prefix ? [`CROSS_COMPILE=${prefix}`] : [])];
}

/** The host's arch for its record: the table's name for it (make's ARCH), or Node's name for a host of no arch here. */
export function hostArchName(hostNode: string = process.arch): string {
  return Object.values(ARCHES).find((a: Arch) => a.node === hostNode)?.name ?? hostNode;
}
