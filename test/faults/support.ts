import { promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { leftoversOf, type ChildRegistry } from "../../harness/core/children.js";
import { projectRoot } from "../../harness/core/paths.js";
import { allProcs, procInfo, type ProcInfo } from "../../harness/core/proc.js";

/** A folder for one fault, under the system's temp dir, named so a leftover is easy to spot. */
export const scratch = (name: string) => fs.mkdtemp(path.join(os.tmpdir(), `kharness-fault-${name}-`));

/** `bin/kharness ARGS` with its output collected as it arrives, so a test can act at a stage. */
export function kharness(
  args: string[],
  env: Record<string, string>,
): {
  proc: ResultPromise<{ all: true; reject: false }>;
  output: () => string;
  waitFor: (re: RegExp, ms: number) => Promise<void>;
} {
  const proc = execa(path.join(projectRoot, "bin/kharness"), args, { env, all: true, reject: false, buffer: true });
  let output = "";
  proc.all!.on("data", (d: Buffer) => (output += d.toString()));
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!re.test(output)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${output.slice(-3000)}`);
      if (proc.exitCode !== null)
        throw new Error(`kharness exited (${proc.exitCode}) before ${re}:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { proc, output: () => output, waitFor };
}

/** Processes whose command line names `marker` (a results or cache folder of one test): what a run left behind. */
export async function leftovers(marker: string): Promise<string[]> {
  const r = await execa("pgrep", ["-af", marker], { reject: false });
  return r.stdout.split("\n").filter((l) => l.trim() && !/pgrep|vitest/.test(l));
}

/** The one results directory a run made under `results`. */
export async function runDirIn(results: string): Promise<string> {
  const [id] = await fs.readdir(results);
  if (!id) throw new Error(`no run directory in ${results}`);
  return path.join(results, id);
}

export const readJson = async (file: string) => JSON.parse(await fs.readFile(file, "utf8"));

/**
 * What a kharness process has running now, by its own record of its children (never by
 * name): each recorded child that is still the same process, and every member of a
 * recorded group (make's compilers). `cache` is the kharness's KHARNESS_CACHE.
 */
export function processesOf(kharnessPid: number, cache = path.join(os.homedir(), ".cache", "kharness")): ProcInfo[] {
  let registry: ChildRegistry;
  try {
    registry = JSON.parse(readFileSync(path.join(cache, "children", `${kharnessPid}.json`), "utf8")) as ChildRegistry;
  } catch {
    return []; // no child running, so no registry
  }
  const procs = allProcs();
  return [...new Map(leftoversOf(registry, procs).map((p) => [p.pid, p])).values()];
}

/** Which of `procs` still run: the same pid with the same start time, and not a zombie. */
export function stillRunning(procs: ProcInfo[]): ProcInfo[] {
  return procs.filter((p) => {
    const now = procInfo(p.pid);
    return now !== undefined && now.state !== "Z" && now.startTime === p.startTime;
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
