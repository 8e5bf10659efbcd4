import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { MARKER, markBuildEnded, markBuildStarted, recoverBuildDir } from "../../harness/build/buildDir.js";
import { firstBuildError } from "../../harness/build/buildLog.js";
import { projectRoot } from "../../harness/core/paths.js";
import { buildFailureLines } from "../../harness/report/summary.js";
import { sampleRun } from "../support/sampleMatrix.js";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

describe("a failed build's first error", () => {
  it("is the compiler's file:line: error, before the linker's and make's", () => {
    const log = [
      "  CC      mm/memcontrol.o",
      "mm/memcontrol.c: In function 'mem_cgroup_wb_stats':",
      "mm/memcontrol.c:4712:9: warning: unused variable 'x' [-Wunused-variable]",
      "mm/memcontrol.c:4720:2: error: implicit declaration of function 'cpus_read_lockx' " +
        "[-Werror=implicit-function-declaration]",
      "mm/memcontrol.c:4730:2: error: a second one",
      "make[3]: *** [/src/scripts/Makefile.build:250: mm/memcontrol.o] Error 1",
    ].join("\n");
    expect(firstBuildError(log)).toBe(
      "mm/memcontrol.c:4720:2: error: implicit declaration of function 'cpus_read_lockx' " +
        "[-Werror=implicit-function-declaration]",
    );
    expect(firstBuildError("include/linux/foo.h:3:10: fatal error: bar.h: No such file or directory")).toBe(
      "include/linux/foo.h:3:10: fatal error: bar.h: No such file or directory",
    );
  });

  it("else the linker's, else make's own", () => {
    const ld =
      "  LD      vmlinux.o\n" +
      "ld: mm/memcontrol.o: in function `mem_cgroup_wb_stats':\n" +
      "memcontrol.c:(.text+0x1d2a): undefined reference to `cpus_read_lockx'\n" +
      "make[1]: *** [Makefile:1250: vmlinux] Error 1";
    expect(firstBuildError(ld)).toBe("memcontrol.c:(.text+0x1d2a): undefined reference to `cpus_read_lockx'");
    expect(
      firstBuildError(
        "  GEN     Makefile\n" +
          "make[1]: *** No rule to make target 'bzImagex'.  Stop.\n" +
          "make: *** [Makefile:222: __sub-make] Error 2",
      ),
    ).toBe("make: *** [Makefile:222: __sub-make] Error 2");
    expect(firstBuildError("  CC      init/main.o\n")).toBeUndefined();
  });

  it("shows in the terminal summary, with the log's path", () => {
    const run = sampleRun();
    run.builds["memcg/linux-6.1/fix-x"] = {
      status: "failed",
      scenario: "memcg",
      kernel: "linux-6.1",
      arch: "x86_64",
      variant: "fix-x",
      reason: "build failed: kernel build failed (exit 2) for t: mm/memcontrol.c:1:1: error: boom",
      buildLog: "builds/fix-x.log",
    };
    expect(buildFailureLines(run, "/r/run-1")).toEqual([
      "memcg/linux-6.1/fix-x: build failed: kernel build failed (exit 2) for t: mm/memcontrol.c:1:1: error: boom",
      "    log: /r/run-1/builds/fix-x.log",
    ]);
  });
});

describe("a build directory after a build that did not end", () => {
  const tmp = async () => {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-unit-builddir-"));
    dirs.push(d);
    return d;
  };
  const write = async (d: string, rel: string, text = rel) => {
    await fs.mkdir(path.dirname(path.join(d, rel)), { recursive: true });
    await fs.writeFile(path.join(d, rel), text);
  };
  const tick = () => new Promise((r) => setTimeout(r, 20));

  it(
    "loses every file the unfinished build wrote, " + "and keeps what an earlier finished build left and the .config",
    async () => {
      const d = await tmp();
      await write(d, "mm/old.o");
      await write(d, ".config");
      await tick();
      await markBuildStarted(d, { pid: 1, startedAt: "2026-12-01T00:00:00Z", command: "make" });
      await tick();
      await write(d, "mm/memcontrol.o", "half");
      await write(d, "mm/.memcontrol.o.cmd");
      await write(d, ".config", "rewritten by syncconfig");
      const repaired = await recoverBuildDir(d);
      expect(repaired).toEqual({ marker: expect.stringContaining('"pid":1'), removed: 2 });
      const left = (await execa("find", [d, "-type", "f", "-printf", "%P\n"])).stdout.split("\n").sort();
      expect(left).toEqual([".config", "mm/old.o"]);
      expect(await recoverBuildDir(d)).toBeUndefined();
    },
  );

  it("a build that ended by itself leaves nothing to repair", async () => {
    const d = await tmp();
    await markBuildStarted(d, { pid: 1, startedAt: "x", command: "make" });
    await write(d, "vmlinux");
    await markBuildEnded(d);
    await expect(fs.access(path.join(d, MARKER))).rejects.toThrow();
    expect(await recoverBuildDir(d)).toBeUndefined();
    expect(await fs.readFile(path.join(d, "vmlinux"), "utf8")).toBe("vmlinux");
  });
});

describe("exit codes of the command line", () => {
  const kharness = (args: string[]) =>
    execa(path.join(projectRoot, "bin", "kharness"), args, {
      reject: false,
      env: { KHARNESS_RESULTS: path.join(os.tmpdir(), "kharness-unit-nonexistent-results") },
    });

  it("commander's errors are input errors: exit 2 (1 means a verdict differs); --help is 0", async () => {
    for (const args of [
      ["run", "x", "--confidence", "2"],
      ["run", "x", "-n", "0"],
      ["run", "x", "--accel", "xen"],
      ["run", "--nope"],
      ["nonsense"],
      ["matrix", "m.yaml", "--shard", "3/2"],
    ]) {
      const r = await kharness(args);
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^error: /m);
    }
    expect((await kharness(["--help"])).exitCode).toBe(0);
  });

  it(
    "run --resume refuses the flags it would ignore " + "(the record's request is replayed), and makes no folder",
    async () => {
      for (const [args, flags] of [
        [["-n", "3"], "--max-runs"],
        [["x", "--fix", "f.patch"], "<scenario>, --fix"],
        [["--tree", "/t", "--confidence", "0.9"], "--confidence, --tree"],
      ] as const) {
        const r = await kharness(["run", "--resume", "gone", ...args]);
        expect(r.exitCode, r.stderr).toBe(2);
        expect(r.stderr).toContain(`${flags} with --resume gone: a resumed run replays the request it recorded`);
      }
      // --accel is the session's own: the resume goes on to find that the run does not exist.
      const r = await kharness(["run", "--resume", "gone", "--accel", "tcg"]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain("--resume gone: there is no run gone in ");
      await expect(fs.access(path.join(os.tmpdir(), "kharness-unit-nonexistent-results", "gone"))).rejects.toThrow();
    },
  );

  it("the pid the shell knows is the process that does the work (bin/kharness execs node)", async () => {
    const p = execa(path.join(projectRoot, "bin", "kharness"), ["parse", "-"], { reject: false });
    await new Promise((r) => setTimeout(r, 1500));
    const cmdline = (await fs.readFile(`/proc/${p.pid}/cmdline`, "utf8")).split("\0");
    expect(cmdline[0]).toBe("node");
    expect(cmdline.some((a) => a.endsWith("/harness/cli.ts"))).toBe(true);
    // No second node under it (tsx's CLI would run one): a kill of this pid reaches the work.
    expect((await execa("pgrep", ["-P", String(p.pid)], { reject: false })).stdout).toBe("");
    p.stdin!.end();
    expect((await p).exitCode).toBe(0);
  });
});
