import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endLeftovers, leftoversOf, registryDir, type ChildRegistry } from "../../harness/core/children.js";
import { launchArgv, tool, toolOutput } from "../../harness/core/exec.js";
import { allProcs, parseStat, procInfo, type ProcInfo } from "../../harness/core/proc.js";
import { projectRoot } from "../../harness/core/paths.js";

const alive = (pid: number) => {
  const p = procInfo(pid);
  return p !== undefined && p.state !== "Z";
};
/** The live (not zombie) processes of a process group. */
const members = (pgid: number) =>
  allProcs()
    .filter((p) => p.pgid === pgid && p.state !== "Z")
    .map((p) => p.cmdline.join(" "));
const until = async (what: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
};

let cache: string;
beforeAll(async () => {
  cache = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-unit-children-"));
  process.env.KHARNESS_CACHE = cache;
});
afterAll(async () => {
  delete process.env.KHARNESS_CACHE;
  await fs.rm(cache, { recursive: true, force: true });
});

describe("/proc", () => {
  it("reads the state, group and start time past a command name with spaces and parentheses", () => {
    const line =
      "4242 (a (b) c) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 18446744073709551615";
    expect(parseStat(line)).toEqual({ state: "S", pgid: 4240, startTime: 987654 });
    const self = procInfo(process.pid)!;
    expect(self.startTime).toBe(parseStat(readFileSync("/proc/self/stat", "utf8")).startTime);
    expect(procInfo(2 ** 22 + 1)).toBeUndefined();
  });
});

describe("which processes of a dead kharness are its own", () => {
  const proc = (pid: number, startTime: number, cmdline: string[], pgid = pid, state = "S"): ProcInfo => ({
    pid,
    startTime,
    cmdline,
    pgid,
    state,
  });
  const registry = (children: ChildRegistry["children"]): ChildRegistry => ({
    schema: "kharness.children/1",
    boot: "b",
    owner: { pid: 1, startTime: 1, cmdline: ["node"] },
    children,
  });
  const qemu = ["qemu-system-x86_64", "-m", "512"];

  it("pid, start time and command line must all match; a pid now used by another process names nothing", () => {
    const r = registry([{ pid: 10, startTime: 500, cmdline: qemu, group: false }]);
    expect(leftoversOf(r, [proc(10, 500, qemu)]).map((p) => p.pid)).toEqual([10]);
    expect(leftoversOf(r, [proc(10, 501, qemu)])).toEqual([]);
    expect(leftoversOf(r, [proc(10, 500, ["qemu-system-x86_64", "-m", "1024"])])).toEqual([]);
    expect(leftoversOf(r, [proc(10, 500, qemu, 10, "Z")])).toEqual([]);
    // Killed between setpriv's start and its exec of the command.
    expect(
      leftoversOf(r, [proc(10, 500, ["setpriv", "--pdeathsig", "KILL", "--", ...qemu])]).map((p) => p.pid),
    ).toEqual([10]);
  });

  it("a group leader brings the members of its group that started after it, even once it is gone itself", () => {
    const make = ["sh", "group.sh", "3", "make", "-j2"];
    const r = registry([{ pid: 20, startTime: 700, cmdline: make, group: true }]);
    const members = [
      proc(21, 705, ["make", "-f", "Makefile"], 20),
      proc(22, 710, ["cc1"], 20),
      proc(23, 650, ["other"], 20),
      proc(24, 720, ["cc1"], 99),
    ];
    expect(
      leftoversOf(r, [proc(20, 700, make), ...members])
        .map((p) => p.pid)
        .sort(),
    ).toEqual([20, 21, 22]);
    expect(
      leftoversOf(r, members)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([21, 22]);
    // The leader's pid is another process now: the group with that id is that process's.
    expect(leftoversOf(r, [proc(20, 900, ["bash"]), ...members])).toEqual([]);
  });
});

describe("the one door to external tools", () => {
  it("runs in the C locale under a parent-death signal, and records the child while it runs", async () => {
    expect(launchArgv("qemu", ["-m", "1"], false).argv).toEqual([
      "setpriv",
      "--pdeathsig",
      "KILL",
      "--",
      "qemu",
      "-m",
      "1",
    ]);
    const p = tool("sh", ["-c", "echo $LC_ALL; grep '^PPid' /proc/self/status; sleep 1"], {
      all: true,
      env: { LC_ALL: "de_DE.UTF-8" },
    });
    await until(
      () => readFileSync(path.join(registryDir(), `${process.pid}.json`), { encoding: "utf8", flag: "a+" }).length > 0,
      2000,
    );
    const reg = JSON.parse(readFileSync(path.join(registryDir(), `${process.pid}.json`), "utf8")) as ChildRegistry;
    expect(reg.owner.pid).toBe(process.pid);
    expect(reg.children).toEqual([
      { pid: p.pid, startTime: expect.any(Number), cmdline: ["sh", "-c", expect.any(String)], group: false },
    ]);
    const r = await p;
    expect(r.all.split("\n")[0]).toBe("C");
    await expect(fs.access(path.join(registryDir(), `${process.pid}.json`))).rejects.toThrow();
  });

  it("a command that fails names itself and its exit", async () => {
    await expect(toolOutput("sh", ["-c", "echo broken >&2; exit 3"])).rejects.toThrow(
      /sh -c 'echo broken >&2; exit 3' failed \(exit 3\):\nbroken/,
    );
  });

  it(
    "a SIGKILLed kharness takes its children with it: " + "QEMU-like ones at once, a make-like group by TERM then KILL",
    async () => {
      const script = `import { tool } from ${JSON.stringify(path.join(projectRoot, "harness/core/exec.ts"))};
      const a = tool("sleep", ["300"]);
      const g = tool("sh", ["-c", "trap '' TERM; sleep 301 & sleep 302"], { group: true });
      console.log(JSON.stringify([a.pid, g.pid]));
      setInterval(() => {}, 1000);`;
      const file = path.join(cache, "owner.mts");
      await fs.writeFile(file, script);
      const owner = execa("node", ["--import", "tsx", file], { cwd: projectRoot, reject: false });
      const [single, group] = await new Promise<number[]>((resolve) =>
        owner.stdout!.once("data", (d: Buffer) => resolve(JSON.parse(d.toString()))),
      );
      await until(() => (procInfo(group!)?.cmdline ?? []).includes("sh"), 2000);
      owner.kill("SIGKILL");
      await owner;
      expect(await until(() => !alive(single!), 2000)).toBe(true);
      // The group's members ignore TERM (a stuck compiler): they get KILL after the 3 s grace.
      expect(await until(() => !alive(group!), 6000)).toBe(true);
      expect(members(group!)).toEqual([]);
    },
    20_000,
  );

  it("a group whose command is killed from outside (OOM-like) ends, saying so", async () => {
    const p = tool("sh", ["-c", "sleep 303 & sleep 304; exit 0"], { group: true, all: true });
    const sh = await until(() => (procInfo(p.pid!)?.cmdline ?? [])[0] === "sh", 2000);
    expect(sh).toBe(true);
    // The command under the supervisor is its only child: kill it alone.
    const child = (await execa("pgrep", ["-P", String(p.pid), "-x", "sh"])).stdout.trim();
    process.kill(Number(child), "SIGKILL");
    const r = await p;
    expect(r.signal).toBe("SIGKILL");
    expect(r.all).toMatch(/kharness: sh was killed by signal 9 from outside kharness; ending its process group/);
    expect(members(p.pid!)).toEqual([]);
  }, 20_000);
});

describe("the next kharness ends a dead one's leftovers, and only those", () => {
  it(
    "kills a recorded child that is still its own, " + "leaves a process whose command line differs, and says so",
    async () => {
      const spawn = (args: string[]) => execa("sleep", args, { detached: true, reject: false });
      const [ours, decoy] = [spawn(["305"]), spawn(["306"])];
      await until(() => alive(ours.pid!) && alive(decoy.pid!), 2000);
      const rec = (pid: number, cmdline: string[]) => ({
        pid,
        startTime: procInfo(pid)!.startTime,
        cmdline,
        group: false,
      });
      const registry: ChildRegistry = {
        schema: "kharness.children/1",
        boot: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
        owner: { pid: 2 ** 22 + 7, startTime: 1, cmdline: ["node", "cli.ts", "run", "dead-scenario"] },
        children: [rec(ours.pid!, ["sleep", "305"]), rec(decoy.pid!, ["sleep", "999"])],
      };
      await fs.mkdir(registryDir(), { recursive: true });
      await fs.writeFile(path.join(registryDir(), `${registry.owner.pid}.json`), JSON.stringify(registry));
      const said = endLeftovers();
      expect(said).toEqual([
        expect.stringMatching(
          new RegExp(
            `ended 1 leftover process\\(es\\) of a dead kharness ` +
              `\\(pid ${registry.owner.pid}: cli.ts run dead-scenario\\): ${ours.pid} sleep 305`,
          ),
        ),
      ]);
      expect((await ours).signal).toBe("SIGKILL");
      expect(alive(decoy.pid!)).toBe(true);
      decoy.kill("SIGKILL");
      await expect(fs.access(path.join(registryDir(), `${registry.owner.pid}.json`))).rejects.toThrow();
    },
  );
});
