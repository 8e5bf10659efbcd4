import { describe, expect, it } from "vitest";
import { kernelCmdline, qemuArgv } from "../../harness/vm/qemu/argv.js";

const spec = {
  accel: "tcg" as const,
  cpus: 4,
  memoryMiB: 1024,
  kernel: "/k/bzImage",
  initrd: "/r/initramfs.cpio",
  disk: "/r/disk.img",
  consoleLog: "/r/console.log",
  sshPort: 40022,
};

describe("qemu argv", () => {
  it("keeps the guest off the network but for a loopback SSH forward", () => {
    const argv = qemuArgv(spec);
    const netdev = argv[argv.indexOf("-netdev") + 1];
    expect(netdev).toBe("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22");
    expect(argv).toContain("-nodefaults");
  });

  it("captures the console to a file and never reboots", () => {
    const argv = qemuArgv(spec);
    expect(argv[argv.indexOf("-chardev") + 1]).toBe("file,id=console,path=/r/console.log");
    expect(argv).toContain("-no-reboot");
    expect(kernelCmdline()).toMatch(/console=ttyS0 .*panic=-1/);
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
});
