import { describe, expect, it } from "vitest";
import { ARCHES } from "../../harness/core/arch.js";
import {
  archRequirements,
  doctor,
  doctorVerdict,
  installCommands,
  recipeRequirements,
  REQUIREMENTS,
  runDoctor,
  type Requirement,
} from "../../harness/doctor/doctor.js";
import { withEnv } from "../support/env.js";

describe("doctor", () => {
  it(
    "an arch of the host's needs its QEMU only; " +
      "another arch also Debian's cross gcc and that arch's package lists",
    () => {
      expect(archRequirements(ARCHES.x86_64, "x64").map((r) => r.package ?? r.setup?.join(" "))).toEqual([
        "qemu-system-x86",
      ]);
      const arm = archRequirements(ARCHES.arm64, "x64");
      expect(arm.map((r) => r.package ?? r.setup?.join(" "))).toEqual([
        "qemu-system-arm",
        "gcc-aarch64-linux-gnu",
        "dpkg --add-architecture arm64",
      ]);
      expect(arm[1]!.name).toMatch(/^aarch64-linux-gnu-gcc /);
      // On an arm64 host the roles turn: arm64 is native, x86_64 is the cross build.
      expect(archRequirements(ARCHES.arm64, "arm64")).toHaveLength(1);
      expect(
        archRequirements(ARCHES.x86_64, "arm64")
          .map((r) => r.package)
          .filter(Boolean),
      ).toEqual(["qemu-system-x86", "gcc-x86-64-linux-gnu"]);
    },
  );

  it("the arches come from the kernel recipes: linux-6.1 names arm64, so its toolchain is checked", async () => {
    const names = (await recipeRequirements()).map((r) => r.name);
    expect(names.some((n) => n.startsWith("qemu-system-aarch64"))).toBe(true);
    expect(names.filter((n) => n.startsWith("qemu-system-x86_64"))).toHaveLength(1);
  });

  it("installs in order: set-ups (a new dpkg architecture), apt-get update, then the packages", () => {
    expect(installCommands({ missingPackages: [], setups: [] })).toEqual([]);
    expect(
      installCommands({ missingPackages: ["qemu-system-arm"], setups: [["dpkg", "--add-architecture", "arm64"]] }),
    ).toEqual([
      ["dpkg", "--add-architecture", "arm64"],
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "--no-install-recommends", "qemu-system-arm"],
    ]);
    expect(installCommands({ missingPackages: [], setups: [["dpkg", "--add-architecture", "arm64"]] })).toEqual([
      ["dpkg", "--add-architecture", "arm64"],
      ["apt-get", "update"],
    ]);
  });

  it(
    "says what is met, what is missing with its package or set-up, and what no package fixes; " +
      "exit 1 until all is met",
    async () => {
      const reqs: Requirement[] = [
        { name: "busybox", package: "busybox-static", check: async () => true, note: async () => "1.35.0" },
        { name: "qemu-system-x86_64", package: "qemu-system-x86", check: async () => "qemu-system-x86_64 not on PATH" },
        {
          name: "arm64 package lists",
          setup: ["dpkg", "--add-architecture", "arm64"],
          check: async () => "no arm64 lists",
        },
        { name: "free disk", check: async () => "3 GiB free under the cache, 15 needed" },
      ];
      const report = await runDoctor(reqs);
      expect(report.lines).toEqual([
        "ok       busybox\n         1.35.0",
        "MISSING  qemu-system-x86_64: qemu-system-x86_64 not on PATH (package qemu-system-x86)",
        "MISSING  arm64 package lists: no arm64 lists",
        "MISSING  free disk: 3 GiB free under the cache, 15 needed",
      ]);
      const { text, exitCode } = doctorVerdict(report);
      expect(exitCode).toBe(1);
      expect(text).toContain(
        "\nto install what is missing, as root:\n" +
          "  dpkg --add-architecture arm64 && apt-get update && " +
          "apt-get install -y --no-install-recommends qemu-system-x86",
      );
      expect(text.at(-1)).toBe("\nnot met:\n  free disk: 3 GiB free under the cache, 15 needed");
      // Disk space alone: no package fixes it, and it still fails the doctor.
      expect(doctorVerdict(await runDoctor([reqs[0]!, reqs[3]!])).exitCode).toBe(1);
      const met = doctorVerdict(await runDoctor([reqs[0]!]));
      expect(met).toEqual({ text: ["ok       busybox\n         1.35.0", "\nall requirements met"], exitCode: 0 });
      // Nothing to install: --install checks once and installs nothing.
      const once = await doctor({ install: true }, [reqs[0]!]);
      expect(once.last).toBe(once.first);
    },
  );

  it("checks this host's commands on PATH: with an empty PATH the commands are missing", async () => {
    const commands = REQUIREMENTS.filter((r) => ["gcc", "make", "patch", "ccache"].includes(r.name));
    expect(commands).toHaveLength(4);
    const report = await withEnv({ PATH: "/nonexistent" }, () => runDoctor(commands));
    expect(report.lines).toContain("MISSING  make: make not on PATH (package make)");
    expect(report.missingPackages).toEqual(["gcc", "make", "ccache", "patch"]);
  });
});
