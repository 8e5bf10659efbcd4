/**
 * Everything that differs between target architectures, as data: the make ARCH, where the
 * boot image lands, the QEMU binary and its Debian package, the serial console. Only
 * x86_64 is tested; another arch is one more entry here.
 */
export interface Arch {
  /** ARCH= for make. */
  make: string;
  /** The boot image, relative to the build directory. */
  image: string;
  /** The make target that builds it. */
  target: string;
  qemu: string;
  qemuPackage: string;
  /** QEMU's machine type: q35 routes PCI interrupts without the ACPI link devices that cost the pc machine seconds of boot under TCG. */
  machine: string;
  /** The kernel's name for the first serial port. */
  console: string;
  /** KCIDB's architecture name. */
  kcidb: string;
}

export const ARCHES = {
  x86_64: {
    make: "x86_64",
    image: "arch/x86/boot/bzImage",
    target: "bzImage",
    qemu: "qemu-system-x86_64",
    qemuPackage: "qemu-system-x86",
    machine: "q35",
    console: "ttyS0",
    kcidb: "x86_64",
  },
} satisfies Record<string, Arch>;

export type ArchName = keyof typeof ARCHES;

/** The arch kharness builds for and boots; one place to change when a second arch lands. */
export const HOST_ARCH: Arch = ARCHES.x86_64;
