import { describe, expect, it } from "vitest";
import {
  describeProblems,
  parseKconfig,
  requirementsFromFragment,
  verifyKconfig,
} from "../../harness/config/kconfig.js";

const CONFIG = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_LOCALVERSION=""
# CONFIG_PROVE_RCU is not set
CONFIG_MEMCG=y
`;

describe("kconfig verification", () => {
  it("parses set, string and unset options", () => {
    const c = parseKconfig(CONFIG);
    expect(c.get("SMP")).toBe("y");
    expect(c.get("NR_CPUS")).toBe("8");
    expect(c.get("PROVE_RCU")).toBe("n");
    expect(c.has("KASAN")).toBe(false);
  });

  it("names every dropped option and who asked for it", () => {
    const reqs = [
      ...requirementsFromFragment(
        "CONFIG_SMP=y\nCONFIG_NR_CPUS=8\n# CONFIG_KASAN is not set\nCONFIG_PROVE_RCU=y\n",
        "kernels/fragments/x.config",
      ),
      { option: "CGROUP_WRITEBACK", value: "y", from: "scenario memcg" },
    ];
    const problems = verifyKconfig(parseKconfig(CONFIG), reqs);
    expect(problems.map((p) => p.option)).toEqual(["PROVE_RCU", "CGROUP_WRITEBACK"]);
    expect(describeProblems(problems)).toBe(
      "  CONFIG_PROVE_RCU: wanted y, got not set (required by kernels/fragments/x.config)\n" +
        "  CONFIG_CGROUP_WRITEBACK: wanted y, got not set (required by scenario memcg)",
    );
  });

  it("accepts a config that holds everything", () => {
    expect(
      verifyKconfig(parseKconfig(CONFIG), requirementsFromFragment("CONFIG_MEMCG=y\nCONFIG_NR_CPUS=8\n", "f")),
    ).toEqual([]);
  });
});
