import { promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";
import { silentProgress } from "../../harness/core/progress.js";
import { prepareSource } from "../../harness/source/registry.js";
import { kharness, scratch } from "./support.js";

const root = scratch("input");
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));
const SCENARIO = path.join(projectRoot, "scenarios", "memcg-hotplug-lockdep");

/** A copy of the default scenario (patches included) with `edit` applied to its YAML text. */
async function scenarioWith(edit: (yaml: string) => string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(await root, "scenario-"));
  await fs.cp(SCENARIO, dir, { recursive: true });
  const file = path.join(dir, "scenario.yaml");
  await fs.writeFile(file, edit(await fs.readFile(file, "utf8")));
  return file;
}

/** `yaml` with `from` replaced: a scenario that no longer has `from` would turn the bad input into a real run. */
function replaced(from: string, to: string): (yaml: string) => string {
  return (yaml) => {
    if (!yaml.includes(from)) throw new Error(`the default scenario no longer has "${from}": update this test`);
    return yaml.replace(from, to);
  };
}

/** `kharness ARGS` must fail as bad input: exit 2, naming `names` and saying how to fix it, before any build. */
async function rejects(args: string[], ...names: (string | RegExp)[]) {
  const run = kharness(args, { KHARNESS_RESULTS: path.join(await root, "results") });
  const result = await run.proc;
  expect(result.exitCode, run.output()).toBe(2);
  for (const n of names) expect(run.output()).toMatch(n);
  expect(run.output()).toMatch(/fix: /);
  expect(run.output()).not.toMatch(/\[build /);
  // A run that never started leaves no results folder.
  expect(await fs.readdir(path.join(await root, "results")).catch(() => [])).toEqual([]);
}

describe("bad input is exit 2, naming the file, the field or patch, and the fix, before any build", () => {
  it("scenario fields with a wrong type or an unknown value", async () => {
    await rejects(
      ["run", await scenarioWith(replaced("maxRuns: 12", "maxRuns: twelve"))],
      /scenario\.yaml is not valid/,
      /maxRuns/,
    );
    await rejects(
      ["run", await scenarioWith(replaced("step: hotplug", "step: hotplugg"))],
      /workload\.steps\.1/,
      /unknown step "hotplugg"/,
    );
    await rejects(
      ["run", await scenarioWith(replaced("fix-drop-lock: FIXED", "fix-drop-lock: SOLVED"))],
      /expect\.fix-drop-lock/,
    );
  });

  it("a run to resume that does not exist, and options commander rejects", async () => {
    await rejects(["run", "--resume", "no-such-run"], /--resume no-such-run: there is no run no-such-run in /);
    for (const args of [
      ["run", "memcg-hotplug-lockdep", "--confidence", "2"],
      ["run", "memcg-hotplug-lockdep", "--accel", "xen"],
    ]) {
      const r = await kharness(args, { KHARNESS_RESULTS: path.join(await root, "results") }).proc;
      expect(r.exitCode, args.join(" ")).toBe(2);
    }
  });

  it("an unknown variant; a missing patch file; a patch that does not apply", async () => {
    await rejects(["run", "memcg-hotplug-lockdep", "--variant", "fix-nothing"], /no variant "fix-nothing"/);
    await rejects(
      ["run", await scenarioWith(replaced("patches/0002-fix.patch]", "patches/0009-missing.patch]"))],
      /0009-missing\.patch, which does not exist/,
    );
    const broken = await scenarioWith((y) => y);
    await fs.writeFile(
      path.join(path.dirname(broken), "patches", "0002-fix.patch"),
      "--- a/mm/memcontrol.c\n+++ b/mm/memcontrol.c\n" +
        "@@ -1,3 +1,3 @@\n-this line is not in the file\n+nor is this one\n context\n",
    );
    await rejects(
      ["run", broken, "--accel", "tcg"],
      /patch .*0002-fix\.patch does not apply/,
      /hunk #1 of mm\/memcontrol\.c/,
    );
  });

  it("a required option that does not survive olddefconfig", async () => {
    await rejects(
      ["run", await scenarioWith(replaced("requireConfig:\n  [", "requireConfig:\n  [SOUND, ")), "--accel", "tcg"],
      /dropped 1 required option/,
      /SOUND/,
    );
  });

  it("matrix fields and unknown kernels", async () => {
    const matrix = path.join(await root, "bad.yaml");
    await fs.writeFile(matrix, "name: bad\nscenarios: [memcg-hotplug-lockdep]\nkernels: [linux-6.1]\ncpus: [3]\n");
    await rejects(["matrix", matrix], /bad\.yaml is not valid/, /cpus\.0: must be one of 1, 2, 4, 8/);
    await rejects(
      ["run", "memcg-hotplug-lockdep", "--kernel", "linux-9.9"],
      /kernel "linux-9\.9" has no recipe|no patches for kernel linux-9\.9/,
    );
  });

  it("--tree that is not a git repository, and an unknown --ref", async () => {
    const notRepo = await fs.mkdtemp(path.join(await root, "plain-"));
    await rejects(["run", "memcg-hotplug-lockdep", "--tree", notRepo], /--tree .* is not a git repository/);
    const repo = await fs.mkdtemp(path.join(await root, "repo-"));
    await execa("git", ["init", "-q", repo]);
    await rejects(["run", "memcg-hotplug-lockdep", "--tree", repo, "--ref", "v9.9"], /--ref v9\.9 is not a commit/);
  });

  it("a missing source tarball names it and the package", async () => {
    const missing = prepareSource(
      {
        name: "linux-6.1",
        source: { kind: "tarball", path: "/usr/src/linux-source-0.1.tar.xz", package: "linux-source-0.1" },
      },
      silentProgress,
    );
    await expect(missing).rejects.toThrow(/source tarball \/usr\/src\/linux-source-0\.1\.tar\.xz does not exist/);
    await expect(missing).rejects.toMatchObject({ hint: "apt-get install linux-source-0.1" });
  });
});
