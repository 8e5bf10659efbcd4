import { describe, expect, it } from "vitest";
import { ARCHES } from "../../harness/core/arch.js";
import { archRequirements, installCommands, recipeRequirements } from "../../harness/commands/doctor.js";

describe("doctor", () => {
  it("an arch of the host's needs its QEMU only; another arch also Debian's cross gcc and that arch's package lists", () => {
    expect(archRequirements(ARCHES.x86_64, "x64").map((r) => r.package ?? r.setup?.join(" "))).toEqual(["qemu-system-x86"]);
    const arm = archRequirements(ARCHES.arm64, "x64");
    expect(arm.map((r) => r.package ?? r.setup?.join(" "))).toEqual(["qemu-system-arm", "gcc-aarch64-linux-gnu", "dpkg --add-architecture arm64"]);
    expect(arm[1]!.name).toMatch(/^aarch64-linux-gnu-gcc /);
    // On an arm64 host the roles turn: arm64 is native, x86_64 is the cross build.
    expect(archRequirements(ARCHES.arm64, "arm64")).toHaveLength(1);
    expect(archRequirements(ARCHES.x86_64, "arm64").map((r) => r.package).filter(Boolean)).toEqual(["qemu-system-x86", "gcc-x86-64-linux-gnu"]);
  });

  it("the arches come from the kernel recipes: linux-6.1 names arm64, so its toolchain is checked", async () => {
    const names = (await recipeRequirements()).map((r) => r.name);
    expect(names.some((n) => n.startsWith("qemu-system-aarch64"))).toBe(true);
    expect(names.filter((n) => n.startsWith("qemu-system-x86_64"))).toHaveLength(1);
  });

  it("installs in order: set-ups (a new dpkg architecture), apt-get update, then the packages", () => {
    expect(installCommands({ missingPackages: [], setups: [] })).toEqual([]);
    expect(installCommands({ missingPackages: ["qemu-system-arm"], setups: [["dpkg", "--add-architecture", "arm64"]] })).toEqual([
      ["dpkg", "--add-architecture", "arm64"],
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "--no-install-recommends", "qemu-system-arm"],
    ]);
    expect(installCommands({ missingPackages: [], setups: [["dpkg", "--add-architecture", "arm64"]] })).toEqual([["dpkg", "--add-architecture", "arm64"], ["apt-get", "update"]]);
  });
});
