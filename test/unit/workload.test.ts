import { describe, expect, it } from "vitest";
import { hotplugScript, runMemcgHotplug, setupScript, writerScript } from "../../harness/workload/memcgHotplug.js";
import type { ExecResult } from "../../harness/vm/ssh.js";

const w = { kind: "memcg-writeback-hotplug" as const, memoryMax: "64M", files: 3, fileMiB: 150, hotplugRounds: 40, timeoutSec: 300 };
const ok: ExecResult = { code: 0, stdout: "", stderr: "", timedOut: false };

/** A guest shell that answers each command by its script's first line. */
function fakeShell(answer: (script: string) => ExecResult) {
  const seen: string[] = [];
  return { seen, shell: { exec: async (script: string) => (seen.push(script), answer(script)) } };
}

describe("memcg writeback + hotplug workload", () => {
  it("writes files larger than memory.max from inside the cgroup, and toggles every CPU but cpu0", () => {
    expect(setupScript(w)).toContain("echo 64M > /sys/fs/cgroup/pagetest/memory.max");
    expect(setupScript(w)).toContain('echo "+memory +io" > /sys/fs/cgroup/cgroup.subtree_control');
    expect(writerScript(w).split("\n")[0]).toBe("echo $$ > /sys/fs/cgroup/pagetest/cgroup.procs");
    expect(writerScript(w)).toMatch(/dd if=\/dev\/zero of=\/mnt\/f\$i bs=1M count=150/);
    expect(writerScript(w)).toMatch(/\nsync\n/);
    expect(hotplugScript(w)).toContain("while [ $n -lt 40 ]");
    expect(hotplugScript(w)).toContain("/sys/devices/system/cpu/cpu[1-9]*");
  });

  it("runs writer and toggler together; no toggler with zero rounds", async () => {
    const both = fakeShell(() => ok);
    expect((await runMemcgHotplug(both.shell, w)).status).toBe("completed");
    expect(both.seen).toHaveLength(3);
    const noHotplug = fakeShell(() => ok);
    await runMemcgHotplug(noHotplug.shell, { ...w, hotplugRounds: 0 });
    expect(noHotplug.seen).toHaveLength(2);
  });

  it("tells a timeout (hang), a dropped connection (lost) and a failing command (error) apart", async () => {
    const writer = (r: ExecResult) => fakeShell((s) => (s.startsWith("echo $$") ? r : ok)).shell;
    expect(await runMemcgHotplug(writer({ ...ok, code: null, timedOut: true }), w)).toMatchObject({ status: "hang", reason: "workload did not finish within 300 s" });
    expect(await runMemcgHotplug(writer({ ...ok, code: null }), w)).toMatchObject({ status: "lost" });
    expect(await runMemcgHotplug(writer({ ...ok, code: 1, stderr: "dd: No space left on device" }), w)).toMatchObject({
      status: "error",
      reason: "workload command exited 1: dd: No space left on device",
    });
    const badSetup = fakeShell((s) => (s.startsWith("set -e") ? { ...ok, code: 1, stderr: "mount: no such device" } : ok)).shell;
    expect(await runMemcgHotplug(badSetup, w)).toMatchObject({ status: "error", reason: "workload setup failed (exit 1): mount: no such device" });
  });
});
