import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarioFor } from "../../harness/pipeline/runPlan.js";
import { projectRoot } from "../../harness/core/paths.js";
import { cellAbout } from "../../harness/pipeline/runRecord.js";
import { CLI_BASELINE, cliScenario, parseStepArg, TREE_RECIPE } from "../../harness/scenario/fromCli.js";
import { loadScenario } from "../../harness/scenario/load.js";

const FIX = path.join(projectRoot, "scenarios/memcg-hotplug-lockdep/patches/0003-fix-drop-hotplug-lock.patch");
const request = (fields: Partial<Parameters<typeof cliScenario>[0]> = {}) => ({
  tree: "/home/dev/linux",
  ref: "v6.1.118",
  fixes: [{ name: "drop-hotplug-lock", description: "mm: memcg: drop the hotplug lock", text: "--- a/x\n+++ b/x\n" }],
  workload: ["memcg-writer", "hotplug:rounds=40"],
  require: ["CONFIG_PROVE_LOCKING", "DEBUG_ATOMIC_SLEEP"],
  ...fields,
});

describe("--workload STEP[:key=value,...]", () => {
  it("takes a registry step and its options as YAML would type them", () => {
    expect(parseStepArg("hotplug:rounds=40,cpus=1+2")).toEqual({ step: "hotplug", rounds: 40, cpus: [1, 2] });
    expect(parseStepArg("memcg-writer:memoryMax=64M,files=1")).toEqual({
      step: "memcg-writer",
      memoryMax: "64M",
      files: 1,
    });
    expect(parseStepArg("memcg-writer")).toEqual({ step: "memcg-writer" });
  });

  it("an unknown step, or an option that is not key=value, is an input error naming the argument", () => {
    expect(() => parseStepArg("hotplg:rounds=4")).toThrow(/--workload hotplg:rounds=4: no step "hotplg"/);
    expect(() => parseStepArg("hotplug:40")).toThrow(/--workload hotplug:40: "40" is not key=value/);
  });
});

describe("a scenario from the command line", () => {
  it(
    "is a scenario document: " +
      "the tree as it is for a baseline, each fix a variant expected FIXED, the debug-locking recipe",
    () => {
      const s = cliScenario(request());
      expect(s.kernel).toBe(TREE_RECIPE);
      expect(s.baseline).toBe(CLI_BASELINE);
      expect(s.variants).toEqual({
        [CLI_BASELINE]: { description: "/home/dev/linux at v6.1.118, as it is", patches: [] },
        "drop-hotplug-lock": {
          description: "mm: memcg: drop the hotplug lock",
          patches: ["patches/drop-hotplug-lock.patch"],
        },
      });
      expect(s.expect).toEqual({});
      expect(s.requireConfig).toEqual(["PROVE_LOCKING", "DEBUG_ATOMIC_SLEEP"]);
      expect(
        cellAbout(s, {
          scenario: s.name,
          kernel: TREE_RECIPE,
          arch: "x86_64",
          variant: CLI_BASELINE,
          cpus: 4,
          hotplug: true,
        }).workload,
      ).toBe(
        "memcg-writer:memoryMax=64M,files=1,fileMiB=150,writebackCentisecs=20 " +
          "+ hotplug:rounds=40 (together, up to 300 s)",
      );
    },
  );

  it(
    "gets the scenario file's validation: " + "a bad option value is an error naming the command line and the field",
    () => {
      expect(() => cliScenario(request({ workload: ["hotplug:rounds=0"] }))).toThrow(
        /the scenario from the command line \(--workload[^)]*\) is not valid:\n {2}workload\.steps\.0\.rounds: /,
      );
      expect(() => cliScenario(request({ require: ["prove-locking"] }))).toThrow(/requireConfig\.0: /);
      expect(() => cliScenario(request({ workload: [] }))).toThrow(/needs at least one --workload step/);
    },
  );
});

describe("run --tree --fix --workload, up to the loaded scenario (no build)", () => {
  let root: string;
  let tree: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-cli-scenario-"));
    tree = path.join(root, "linux");
    await fs.mkdir(tree);
    await fs.writeFile(path.join(tree, "Makefile"), "all:\n");
    const git = (...args: string[]) =>
      execa("git", ["-c", "user.name=T", "-c", "user.email=t@example.org", ...args], { cwd: tree });
    await git("init", "-q");
    await git("add", ".");
    await git("commit", "-qm", "base");
    const mail =
      `From: Dev <dev@example.org>\n` +
      `Subject: [PATCH] mm: memcg: drop the hotplug lock\n` +
      `Message-ID: <drop-1@example.org>\n\n---\n${await fs.readFile(FIX, "utf8")}`;
    await fs.writeFile(path.join(root, "drop.mbox"), mail);
    await fs.writeFile(path.join(root, "my.config"), "CONFIG_SMP=y\n");
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it("writes the scenario out (--save-scenario), loads it as a file, on the tree; the fix keeps its mail", async () => {
    const saved = path.join(root, "saved");
    const opts = {
      scenario: "",
      tree,
      fix: [path.join(root, "drop.mbox")],
      workload: ["memcg-writer", "hotplug"],
      config: path.join(root, "my.config"),
      saveScenario: saved,
    };
    const { loaded, fixes } = await scenarioFor(opts, path.join(root, "run"));
    expect(loaded.file).toBe(path.join(saved, "scenario.yaml"));
    expect(loaded.kernel.source).toEqual({ kind: "git", tree, ref: "HEAD" });
    expect(Object.keys(loaded.scenario.variants)).toEqual([CLI_BASELINE, "drop"]);
    expect(await fs.readFile(path.join(saved, "patches/drop.patch"), "utf8")).toBe(await fs.readFile(FIX, "utf8"));
    expect(await fs.readFile(path.join(saved, "base.config"), "utf8")).toBe("CONFIG_SMP=y\n");
    expect(fixes[0]!.origin).toEqual({
      kind: "mail",
      file: path.join(root, "drop.mbox"),
      subject: "mm: memcg: drop the hotplug lock",
      messageId: "drop-1@example.org",
      author: "Dev <dev@example.org>",
    });
    // The saved scenario is a scenario like any other: the same document again, and it needs --tree.
    expect((await loadScenario(saved)).scenario).toEqual(loaded.scenario);
    await expect(scenarioFor({ scenario: saved }, path.join(root, "run2"))).rejects.toThrow(
      /builds your tree \(kernel "tree"\), and no --tree was given/,
    );
  });

  it("input errors before any build: no --tree, a scenario and --workload together", async () => {
    await expect(scenarioFor({ scenario: "", workload: ["hotplug"] }, root)).rejects.toThrow(/needs --tree/);
    await expect(scenarioFor({ scenario: "memcg-hotplug-lockdep", tree, workload: ["hotplug"] }, root)).rejects.toThrow(
      /give a scenario, or a scenario from the command line/,
    );
  });
});
