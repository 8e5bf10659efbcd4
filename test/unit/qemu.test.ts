import { describe, expect, it } from "vitest";
import { ARCHES, archByName, crossPrefix, isHostArch, makeArchVars } from "../../harness/core/arch.js";
import { makeArgs } from "../../harness/build/build.js";
import { kernelCmdline, qemuArgv } from "../../harness/vm/qemu/argv.js";

const spec = {
  arch: ARCHES.x86_64,
  accel: "tcg" as const,
  cpus: 4,
  memoryMiB: 1024,
  kernel: "/k/bzImage",
  initrd: "/r/initramfs.cpio",
  disk: "/r/disk.img",
  consoleLog: "/r/console.log",
  sshPort: 40022,
};
const arm64 = { ...spec, arch: ARCHES.arm64, kernel: "/k/Image" };

describe("qemu argv", () => {
  it("keeps the guest off the network but for a loopback SSH forward, on every arch", () => {
    for (const s of [spec, arm64]) {
      const argv = qemuArgv(s);
      const netdev = argv[argv.indexOf("-netdev") + 1];
      expect(netdev).toBe("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22");
      expect(argv).toContain("-nodefaults");
    }
  });

  it("captures the console to a file and never reboots", () => {
    const argv = qemuArgv(spec);
    expect(argv[argv.indexOf("-chardev") + 1]).toBe("file,id=console,path=/r/console.log");
    expect(argv).toContain("-no-reboot");
    expect(kernelCmdline(ARCHES.x86_64)).toMatch(/console=ttyS0 .*panic=-1/);
  });

  it("selects the accelerator, CPU model, vCPUs, memory and disk", () => {
    const kvm = qemuArgv({ ...spec, accel: "kvm", cpuModel: "host", cpus: 8 });
    expect(kvm.slice(kvm.indexOf("-accel"), kvm.indexOf("-accel") + 2)).toEqual(["-accel", "kvm"]);
    expect(kvm[kvm.indexOf("-cpu") + 1]).toBe("host");
    expect(kvm[kvm.indexOf("-smp") + 1]).toBe("8");
    expect(qemuArgv(spec)).not.toContain("-cpu");
    expect(qemuArgv(spec)[qemuArgv(spec).indexOf("-m") + 1]).toBe("1024M");
    expect(qemuArgv(spec)).toContain("file=/r/disk.img,format=raw,if=virtio,cache=unsafe");
  });

  it("has no network device at all without an SSH port", () => {
    const { sshPort: _p, ...noNet } = spec;
    expect(qemuArgv(noNet)).not.toContain("-netdev");
  });

  it("x86_64: the q35 command line, device for device", () => {
    expect(qemuArgv(spec)).toEqual([
      "-nodefaults",
      "-no-user-config",
      "-display",
      "none",
      "-no-reboot",
      "-machine",
      "q35",
      "-accel",
      "tcg,thread=multi",
      "-smp",
      "4",
      "-m",
      "1024M",
      "-kernel",
      "/k/bzImage",
      "-initrd",
      "/r/initramfs.cpio",
      "-append",
      "console=ttyS0 rdinit=/init panic=-1 printk.devkmsg=on",
      "-chardev",
      "file,id=console,path=/r/console.log",
      "-serial",
      "chardev:console",
      "-netdev",
      "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22",
      "-device",
      "virtio-net-pci,netdev=net0",
      "-device",
      "virtio-rng-pci",
      "-drive",
      "file=/r/disk.img,format=raw,if=virtio,cache=unsafe",
    ]);
  });

  it("arm64: the virt machine, the arch's TCG CPU, the PL011 console and PCI virtio devices", () => {
    const argv = qemuArgv(arm64);
    expect(argv.slice(argv.indexOf("-machine"), argv.indexOf("-machine") + 2)).toEqual(["-machine", "virt"]);
    // The measured choice (README: cortex-a57 against max,pauth-impdef=on), not whatever the table says.
    expect(argv[argv.indexOf("-cpu") + 1]).toBe("cortex-a57");
    expect(argv[argv.indexOf("-append") + 1]).toBe("console=ttyAMA0 rdinit=/init panic=-1 printk.devkmsg=on");
    expect(argv).toContain("virtio-net-pci,netdev=net0");
    expect(argv).toContain("virtio-rng-pci");
    // A CPU the probe chose (KVM on an arm64 host) wins over the TCG model.
    const kvm = qemuArgv({ ...arm64, accel: "kvm", cpuModel: "host" });
    expect(kvm[kvm.indexOf("-cpu") + 1]).toBe("host");
    expect(kvm.filter((a) => a === "-cpu")).toHaveLength(1);
  });
});

describe("qemu argv of a boot or restore (a generation ID, QMP, the saved state)", () => {
  const restore = { vmgenid: "11111111-1111-4111-8111-111111111111", qmpSocket: "/tmp/q.sock", incoming: "/c/state" };

  it("x86_64: -device vmgenid with the new ID, as main's restore has it", () => {
    const argv = qemuArgv({ ...spec, ...restore });
    expect(argv.slice(argv.indexOf("file=/r/disk.img,format=raw,if=virtio,cache=unsafe") + 1)).toEqual([
      "-device",
      "vmgenid,guid=11111111-1111-4111-8111-111111111111",
      "-qmp",
      "unix:/tmp/q.sock,server=on,wait=off",
      "-incoming",
      "exec:cat /c/state",
    ]);
    expect(argv).toContain("file,id=console,path=/r/console.log,append=on");
  });

  it(
    "arm64: no vmgenid device " +
      "(an ACPI device; virt's 6.1 guest reads none from its device tree), QMP and the state still",
    () => {
      const argv = qemuArgv({ ...arm64, ...restore });
      expect(argv.some((a) => a.startsWith("vmgenid"))).toBe(false);
      expect(argv).toContain("unix:/tmp/q.sock,server=on,wait=off");
      expect(argv).toContain("exec:cat /c/state");
    },
  );
});

describe("arch table", () => {
  it("cross-compiles only on another arch's host, and keeps a native make line as it was", () => {
    expect(makeArchVars(ARCHES.x86_64, "x64")).toEqual(["ARCH=x86_64"]);
    expect(makeArchVars(ARCHES.arm64, "x64")).toEqual(["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"]);
    expect(makeArchVars(ARCHES.arm64, "arm64")).toEqual(["ARCH=arm64"]);
    expect(crossPrefix(ARCHES.x86_64, "arm64")).toBe("x86_64-linux-gnu-");
    expect(isHostArch(ARCHES.arm64, "x64")).toBe(false);
    expect(makeArgs(ARCHES.x86_64, "/src", "/b", 2, "x64")).toEqual([
      "-C",
      "/src",
      "O=/b",
      "ARCH=x86_64",
      "-j2",
      "CC=ccache gcc",
      "bzImage",
    ]);
    expect(makeArgs(ARCHES.arm64, "/src", "/b", 2, "x64")).toEqual([
      "-C",
      "/src",
      "O=/b",
      "ARCH=arm64",
      "CROSS_COMPILE=aarch64-linux-gnu-",
      "-j2",
      "CC=ccache aarch64-linux-gnu-gcc",
      "Image",
    ]);
  });

  it("an unknown arch is an input error that lists the known ones", () => {
    expect(archByName("arm64")).toBe(ARCHES.arm64);
    expect(() => archByName("riscv64")).toThrow(/unknown arch "riscv64"/);
  });
});
