import { describe, expect, it } from "vitest";
import { cpuinfoFlags, decideAccel, type AccelFacts } from "../../harness/vm/qemu/accel.js";
import { silentProgress } from "../../harness/core/progress.js";
import { checkCells } from "../../harness/pipeline/cells.js";
import { loadedKey, cellsOfRun } from "../../harness/pipeline/runRecord.js";
import { loadScenario } from "../../harness/scenario/load.js";

const vmxHost: AccelFacts = { hostArch: "x64", cpuFlags: new Set(["fpu", "vmx", "sse2"]), hostKey: "h 6.1 QEMU 7.2" };
const probed = { accel: "kvm" as const, cpuModel: "host", reason: "KVM probe boot printed the kernel banner in 900 ms", probedAt: "2026-12-01T00:00:00Z", hostKey: vmxHost.hostKey };

describe("the accelerator decision", () => {
  it("chooses TCG at once on an x86 CPU without vmx or svm, even with a usable /dev/kvm", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(["fpu", "sse2", "hypervisor"]) });
    expect(d.kind).toBe("use");
    expect(d.kind === "use" && d.choice).toMatchObject({ accel: "tcg", reason: expect.stringMatching(/no vmx or svm flag/) });
  });

  it("does not trust an older probe answer of this host over the missing flag", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(), cached: probed });
    expect(d.kind === "use" && d.choice.accel).toBe("tcg");
  });

  it("chooses TCG at once when /dev/kvm cannot be opened, and says why", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(["svm"]), kvmAccessError: "EACCES" });
    expect(d.kind === "use" && d.choice).toMatchObject({ accel: "tcg", reason: "/dev/kvm is not usable (EACCES)" });
  });

  it("probes where KVM can work, unless this host's probe answer is cached", () => {
    expect(decideAccel(vmxHost)).toEqual({ kind: "probe" });
    expect(decideAccel({ ...vmxHost, cached: probed })).toEqual({ kind: "use", choice: probed });
    // Another host, host kernel or QEMU: the cached answer is not this host's.
    expect(decideAccel({ ...vmxHost, cached: { ...probed, hostKey: "h 6.12 QEMU 7.2" } })).toEqual({ kind: "probe" });
  });

  it("has no flag rule on other host CPUs (arm64 says nothing in cpuinfo): /dev/kvm and the probe decide", () => {
    expect(decideAccel({ ...vmxHost, hostArch: "arm64", cpuFlags: new Set() })).toEqual({ kind: "probe" });
  });

  it("chooses TCG at once for a guest of another arch than the host's, whatever /dev/kvm and the cache say", () => {
    const d = decideAccel({ ...vmxHost, cached: probed, foreignGuest: "arm64" });
    expect(d.kind === "use" && d.choice).toMatchObject({ accel: "tcg", reason: "an arm64 guest on a x64 host: KVM runs only the host's own arch" });
  });

  it("keeps a forced accelerator over every rule", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(), force: "kvm" });
    expect(d.kind === "use" && d.choice).toMatchObject({ accel: "kvm", reason: "forced with --accel kvm" });
  });

  it("reads the flags of /proc/cpuinfo", () => {
    const flags = cpuinfoFlags("processor\t: 0\nflags\t\t: fpu vme vmx\nbugs\t\t: spectre_v1\nprocessor\t: 1\nflags\t\t: fpu svm\n");
    expect([...flags].sort()).toEqual(["fpu", "svm", "vme", "vmx"]);
    expect(cpuinfoFlags("bugs : vmx\n").has("vmx")).toBe(false);
  });
});

describe("--accel kvm for another arch's guest", () => {
  it("is an input error before any variant's checks (which may unpack a tree)", async () => {
    const loaded = await loadScenario("memcg-hotplug-lockdep", { arch: "arm64" });
    // A source that cannot be read: reached only if the refusal came after the checks.
    const unreadable = { ...loaded, kernel: { ...loaded.kernel, source: { kind: "tarball" as const, path: "/nonexistent/linux.tar.xz" } } };
    const cells = cellsOfRun(unreadable, ["before"], 3);
    const scenarios = new Map([[loadedKey(unreadable), unreadable]]);
    await expect(checkCells(cells, scenarios, silentProgress, "kvm")).rejects.toThrow(/--accel kvm: KVM cannot run an arm64 guest on this x86_64 host/);
    await expect(checkCells(cells, scenarios, silentProgress)).rejects.toThrow(/nonexistent/);
  });
});
