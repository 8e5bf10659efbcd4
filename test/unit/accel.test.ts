import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ARCHES } from "../../harness/core/arch.js";
import { AccelChoiceSchema } from "../../harness/records/common.js";
import { readRecordIfExists } from "../../harness/records/read.js";
import { pathWith, withEnv } from "../support/env.js";
import { cpuinfoFlags, decideAccel, decideOrProbe, probeKvm, type AccelFacts } from "../../harness/vm/qemu/accel.js";
import { silentProgress } from "../../harness/core/progress.js";
import { checkCells } from "../../harness/pipeline/cells.js";
import { loadedKey, cellsOfRun } from "../../harness/pipeline/runRecord.js";
import { loadScenario } from "../../harness/scenario/load.js";

const vmxHost: AccelFacts = { hostArch: "x64", cpuFlags: new Set(["fpu", "vmx", "sse2"]), hostKey: "h 6.1 QEMU 7.2" };
const probed = {
  accel: "kvm" as const,
  cpuModel: "host",
  reason: "KVM probe boot printed the kernel banner in 900 ms",
  probedAt: "2026-12-01T00:00:00Z",
  hostKey: vmxHost.hostKey,
};

describe("the accelerator decision", () => {
  it("chooses TCG at once on an x86 CPU without vmx or svm, even with a usable /dev/kvm", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(["fpu", "sse2", "hypervisor"]) });
    expect(d.kind).toBe("use");
    expect(d.kind === "use" && d.choice).toMatchObject({
      accel: "tcg",
      reason: expect.stringMatching(/no vmx or svm flag/),
    });
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
    expect(d.kind === "use" && d.choice).toMatchObject({
      accel: "tcg",
      reason: "an arm64 guest on a x64 host: KVM runs only the host's own arch",
    });
  });

  it("keeps a forced accelerator over every rule", () => {
    const d = decideAccel({ ...vmxHost, cpuFlags: new Set(), force: "kvm" });
    expect(d.kind === "use" && d.choice).toMatchObject({ accel: "kvm", reason: "forced with --accel kvm" });
  });

  it("reads the flags of /proc/cpuinfo", () => {
    const flags = cpuinfoFlags(
      "processor\t: 0\nflags\t\t: fpu vme vmx\nbugs\t\t: spectre_v1\nprocessor\t: 1\nflags\t\t: fpu svm\n",
    );
    expect([...flags].sort()).toEqual(["fpu", "svm", "vme", "vmx"]);
    expect(cpuinfoFlags("bugs : vmx\n").has("vmx")).toBe(false);
  });
});

describe("--accel kvm for another arch's guest", () => {
  it("is an input error before any variant's checks (which may unpack a tree)", async () => {
    const loaded = await loadScenario("memcg-hotplug-lockdep", { arch: "arm64" });
    // A source that cannot be read: reached only if the refusal came after the checks.
    const unreadable = {
      ...loaded,
      kernel: { ...loaded.kernel, source: { kind: "tarball" as const, path: "/nonexistent/linux.tar.xz" } },
    };
    const cells = cellsOfRun(unreadable, ["before"], 3);
    const scenarios = new Map([[loadedKey(unreadable), unreadable]]);
    await expect(checkCells(cells, scenarios, silentProgress, "kvm")).rejects.toThrow(
      /--accel kvm: KVM cannot run an arm64 guest on this x86_64 host/,
    );
    await expect(checkCells(cells, scenarios, silentProgress)).rejects.toThrow(/nonexistent/);
  });
});

describe("the KVM probe and its cache", () => {
  const scratch = () => fs.mkdtemp(path.join(os.tmpdir(), "kharness-accel-"));

  it(
    "probes once per host key: " + "the answer is cached, read back on the next run, and a new QEMU probes again",
    async () => {
      const cacheFile = path.join(await scratch(), "accel.json");
      let probes = 0;
      const probe = async () => (probes++, probed);
      const readCache = () => readRecordIfExists(AccelChoiceSchema, cacheFile, "KVM probe cache entry");
      expect(await decideOrProbe(vmxHost, cacheFile, probe)).toEqual(probed);
      expect(await readCache()).toEqual(probed);
      const cached = (await readCache())!;
      expect(await decideOrProbe({ ...vmxHost, cached }, cacheFile, probe)).toEqual(probed);
      expect(probes).toBe(1);
      await decideOrProbe({ ...vmxHost, hostKey: "h 6.1 QEMU 8.0", cached }, cacheFile, probe);
      expect(probes).toBe(2);
      // A host where the rules answer never probes, and leaves the cache as it was.
      const noVmx = await decideOrProbe({ ...vmxHost, cpuFlags: new Set(["fpu"]) }, cacheFile, probe);
      expect(noVmx.accel).toBe("tcg");
      expect(probes).toBe(2);
    },
  );

  /**
   * A fake QEMU on PATH: prints the banner to the console file only for `-cpu host`, or never (failing
   * as QEMU does without KVM).
   */
  async function withFakeQemu<T>(banner: "with -cpu host" | "never", use: () => Promise<T>): Promise<T> {
    const bin = await scratch();
    const script = [
      "#!/bin/sh",
      'for a in "$@"; do case "$a" in file,id=console,path=*) log="${a#file,id=console,path=}";; esac; done',
      banner === "never"
        ? 'echo "qemu-system-x86_64: Could not access KVM kernel module: No such file or directory" >&2; exit 1'
        : 'case " $* " in *" -cpu host "*) echo "Linux version 6.1.0" > "$log";; esac',
      "exec sleep 30",
    ];
    await fs.writeFile(path.join(bin, ARCHES.x86_64.qemu), `${script.join("\n")}\n`, { mode: 0o755 });
    return withEnv({ PATH: pathWith(bin) }, use);
  }

  it(
    "a probe boot that prints the kernel banner chooses KVM with that CPU model; " +
      "one that cannot start KVM chooses TCG, saying why",
    async () => {
      const kvm = await withFakeQemu("with -cpu host", () =>
        probeKvm(ARCHES.x86_64, "/k", "/i", "key", silentProgress),
      );
      expect(kvm).toMatchObject({
        accel: "kvm",
        cpuModel: "host",
        hostKey: "key",
        reason: expect.stringMatching(/^KVM probe boot printed the kernel banner in \d+ ms$/),
      });
      const tcg = await withFakeQemu("never", () => probeKvm(ARCHES.x86_64, "/k", "/i", "key", silentProgress));
      expect(tcg.accel).toBe("tcg");
      expect(tcg.reason).toBe(
        "/dev/kvm exists but KVM does not boot a guest " +
          "(-cpu host: qemu exited 1: qemu-system-x86_64: " +
          "Could not access KVM kernel module: No such file or directory; " +
          "-cpu default: qemu exited 1: qemu-system-x86_64: " +
          "Could not access KVM kernel module: No such file or directory)",
      );
    },
  );
});
