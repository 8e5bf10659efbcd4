import { describe, expect, it } from "vitest";
import { loadScenario } from "../../harness/scenario/load.js";
import type { ExecResult } from "../../harness/vm/ssh.js";
import { hasHotplug, runWorkload, withHotplug, WorkloadSchema, type Workload } from "../../harness/workload/index.js";
import { diskFormat, phasesOf } from "../../harness/workload/workload.js";

const writer = { step: "memcg-writer" as const, memoryMax: "64M", files: 3, fileMiB: 150, writebackCentisecs: 20 };
const hotplug = { step: "hotplug" as const, rounds: 40 };
const memcgHotplug: Workload = {
  mode: "together",
  timeoutSec: 300,
  wedgeSec: 30,
  tailSec: 3,
  steps: [writer, hotplug],
};
const ok: ExecResult = { code: 0, stdout: "", stderr: "", timedOut: false };

/** Which guest script a command is, by the parameters it exports. */
const scriptName = (command: string) =>
  command.includes("export MEMCG_MAX=")
    ? "memcg-setup"
    : command.includes("export WRITER_FILES=")
      ? "writer"
      : command.includes("export HOTPLUG_ROUNDS=")
        ? "hotplug"
        : command;

/**
 * A guest shell that logs when each command starts and ends (each takes a few ms) and
 * answers by script name; unnamed scripts complete.
 */
function fakeShell(answers: Record<string, ExecResult> = {}) {
  const log: string[] = [];
  const timeouts: Record<string, number> = {};
  const exec = async (command: string, timeoutMs: number): Promise<ExecResult> => {
    const name = scriptName(command);
    timeouts[name] = timeoutMs;
    log.push(`start ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.push(`end ${name}`);
    return answers[name] ?? { ...ok, stdout: `${name} out\n` };
  };
  return { log, timeouts, shell: { exec } };
}

describe("workload steps: the guest commands", () => {
  it("memcg-writer: setup makes the limited cgroup, run writes from inside it; parameters are exported", () => {
    const [setup, run] = phasesOf({ ...memcgHotplug, steps: [writer] });
    const setupScript = setup!.commands[0]!.script;
    expect(setup!.phase).toBe("setup");
    expect(
      setupScript.startsWith(
        "export MEMCG_GROUP=/sys/fs/cgroup/pagetest\nexport MEMCG_MAX=64M\nexport WRITEBACK_CENTISECS=20\n",
      ),
    ).toBe(true);
    expect(setupScript).toContain('echo "$WRITEBACK_CENTISECS" > /proc/sys/vm/dirty_writeback_centisecs');
    // The host makes the ext2 (diskFormat): the guest only mounts it.
    expect(diskFormat({ ...memcgHotplug, steps: [writer] })).toBe("ext2");
    expect(
      diskFormat({ ...memcgHotplug, steps: memcgHotplug.steps.filter((st) => st.step === "hotplug") }),
    ).toBeUndefined();
    expect(setupScript).toMatch(/\nmount -t ext2 \/dev\/vda \/mnt\n/);
    expect(setupScript).not.toContain("mke2fs");
    expect(setupScript).toContain('echo "$MEMCG_MAX" > "$MEMCG_GROUP/memory.max"');
    const runScript = run!.commands[0]!.script;
    expect(runScript).toContain("export WRITER_FILES=3\nexport WRITER_FILE_MIB=150\n");
    expect(runScript).toContain('echo $$ > "$MEMCG_GROUP/cgroup.procs"');
    expect(runScript).toContain('dd if=/dev/zero of="/mnt/f$i" bs=1M count="$WRITER_FILE_MIB"');
    expect(runScript).toContain('echo "kharness-progress writer file $i/$WRITER_FILES"');
    expect(runScript).toMatch(/\nsync\n/);
  });

  it("hotplug: every CPU but cpu0 by default, or the listed ones; one progress line a round", () => {
    const all = phasesOf({ ...memcgHotplug, steps: [hotplug] });
    expect(all).toHaveLength(1);
    expect(all[0]!.commands[0]!.script).toMatch(/^export HOTPLUG_ROUNDS=40\nexport HOTPLUG_CPUS=''\n/);
    expect(all[0]!.commands[0]!.script).toContain("set -- /sys/devices/system/cpu/cpu[1-9]*");
    expect(all[0]!.commands[0]!.script).toContain('echo "kharness-progress hotplug round $round/$HOTPLUG_ROUNDS"');
    const some = phasesOf({ ...memcgHotplug, steps: [{ ...hotplug, cpus: [1, 3] }] });
    expect(some[0]!.commands[0]!.script).toContain("export HOTPLUG_CPUS='1 3'\n");
  });

  it("script: the scenario's commands as written, with no setup", () => {
    expect(phasesOf({ ...memcgHotplug, steps: [{ step: "script", script: "echo hi\n" }] })).toEqual([
      { phase: "run", commands: [{ step: "script", script: "echo hi\n" }] },
    ]);
  });
});

describe("runWorkload: composition", () => {
  it("together: setups first, then every step at once with the whole timeout", async () => {
    const f = fakeShell();
    const out = await runWorkload(f.shell, memcgHotplug);
    expect(out.status).toBe("completed");
    expect(f.log).toEqual([
      "start memcg-setup",
      "end memcg-setup",
      "start writer",
      "start hotplug",
      "end writer",
      "end hotplug",
    ]);
    expect(f.timeouts).toEqual({ "memcg-setup": 60_000, writer: 300_000, hotplug: 300_000 });
    expect(out.output).toBe("memcg-setup out\nwriter out\nhotplug out\n");
  });

  it("sequence: each step's setup and work in order; later steps get what is left of the timeout", async () => {
    const f = fakeShell();
    expect((await runWorkload(f.shell, { ...memcgHotplug, mode: "sequence" })).status).toBe("completed");
    expect(f.log).toEqual([
      "start memcg-setup",
      "end memcg-setup",
      "start writer",
      "end writer",
      "start hotplug",
      "end hotplug",
    ]);
    expect(f.timeouts.writer).toBe(300_000);
    expect(f.timeouts.hotplug).toBeLessThan(300_000);
    expect(f.timeouts.hotplug).toBeGreaterThan(290_000);
  });

  it("sequence: stops at the first step that fails", async () => {
    const f = fakeShell({ writer: { ...ok, code: 1, stderr: "dd: No space left on device\n" } });
    const out = await runWorkload(f.shell, { ...memcgHotplug, mode: "sequence" });
    expect(out).toMatchObject({
      status: "error",
      reason: "workload step memcg-writer exited 1: dd: No space left on device",
    });
    expect(f.log).not.toContain("start hotplug");
  });
});

describe("runWorkload: endings", () => {
  it("a timeout is a hang, in the work or in a setup", async () => {
    const timedOut = { ...ok, code: null, timedOut: true };
    expect(await runWorkload(fakeShell({ hotplug: timedOut }).shell, memcgHotplug)).toMatchObject({
      status: "hang",
      reason: "workload did not finish within 300 s",
    });
    const setupHang = fakeShell({ "memcg-setup": timedOut });
    expect(await runWorkload(setupHang.shell, memcgHotplug)).toMatchObject({
      status: "hang",
      reason: "memcg-writer setup did not finish within 60 s",
    });
    expect(setupHang.log).toEqual(["start memcg-setup", "end memcg-setup"]);
  });

  it("a dropped connection is lost; a timeout elsewhere still makes it a hang", async () => {
    const dropped = { ...ok, code: null };
    expect(await runWorkload(fakeShell({ writer: dropped }).shell, memcgHotplug)).toMatchObject({ status: "lost" });
    expect(
      await runWorkload(fakeShell({ writer: dropped, hotplug: { ...dropped, timedOut: true } }).shell, memcgHotplug),
    ).toMatchObject({ status: "hang" });
  });

  it("a failing command is an error that names its step", async () => {
    const f = fakeShell({ "memcg-setup": { ...ok, code: 1, stderr: "mount: no such device\n" } });
    expect(await runWorkload(f.shell, memcgHotplug)).toMatchObject({
      status: "error",
      reason: "memcg-writer setup exited 1: mount: no such device",
      output: "mount: no such device\n",
    });
    expect(f.log).not.toContain("start writer");
  });
});

describe("the matrix's hotplug axis", () => {
  it("off drops the hotplug steps; on keeps the workload as written", () => {
    expect(hasHotplug(memcgHotplug)).toBe(true);
    expect(withHotplug(memcgHotplug, false)).toEqual({ ...memcgHotplug, steps: [writer] });
    expect(hasHotplug(withHotplug(memcgHotplug, false))).toBe(false);
    expect(withHotplug(memcgHotplug, true)).toBe(memcgHotplug);
  });
});

describe("WorkloadSchema", () => {
  const issues = (data: unknown) => {
    const r = WorkloadSchema.safeParse(data);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("names the bad field of a step", () => {
    expect(issues({ timeoutSec: 300, steps: [writer, { step: "hotplug", rounds: 0 }] })).toEqual([
      "steps.1.rounds: Too small: expected number to be >=1",
    ]);
    expect(issues({ timeoutSec: 300, steps: [{ ...writer, memoryMax: "lots" }] })).toEqual([
      "steps.0.memoryMax: a size such as 64M (digits, then K, M or G)",
    ]);
    expect(issues({ timeoutSec: 300, steps: [{ ...hotplug, cpus: [0] }] })).toEqual([
      "steps.0.cpus.0: cpu0 cannot go offline on x86_64: list CPUs from 1",
    ]);
    expect(issues({ timeoutSec: 300, steps: [{ ...hotplug, round: 3 }] })).toEqual([
      'steps.0: Unrecognized key: "round"',
    ]);
  });

  it("names an unknown step and the ones there are", () => {
    expect(issues({ timeoutSec: 300, steps: [{ step: "hotplg", rounds: 40 }] })).toEqual([
      'steps.0.step: unknown step "hotplg": write step: with one of hotplug, memcg-writer, script',
    ]);
    expect(issues({ timeoutSec: 300, steps: [{ rounds: 40 }] })).toEqual([
      "steps.0.step: no step: write step: with one of hotplug, memcg-writer, script",
    ]);
  });

  it("tells how the old single-kind workload maps to steps", () => {
    const old = {
      kind: "memcg-writeback-hotplug",
      memoryMax: "64M",
      files: 3,
      fileMiB: 150,
      hotplugRounds: 40,
      timeoutSec: 300,
    };
    expect(issues(old).join("\n")).toContain(
      "unknown field(s) kind, memoryMax, files, fileMiB, hotplugRounds: " +
        "a workload is { mode: together | sequence, timeoutSec, steps:",
    );
  });

  it("the committed scenarios use steps: the memcg writer with hotplug, the injected bugs as a script", async () => {
    expect((await loadScenario("memcg-hotplug-lockdep")).scenario.workload).toEqual({
      ...memcgHotplug,
      tailSec: 2,
      steps: [{ ...writer, files: 1 }, hotplug],
    });
    const injected = (await loadScenario("injected-bugs")).scenario.workload;
    expect(injected).toMatchObject({ mode: "together", timeoutSec: 300, steps: [{ step: "script" }] });
  });
});
