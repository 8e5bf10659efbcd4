import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import { projectRoot } from "../../harness/core/paths.js";

/** A folder for one fault, under the system's temp dir, named so a leftover is easy to spot. */
export const scratch = (name: string) => fs.mkdtemp(path.join(os.tmpdir(), `kharness-fault-${name}-`));

/** `bin/kharness ARGS` with its output collected as it arrives, so a test can act at a stage. */
export function kharness(args: string[], env: Record<string, string>): { proc: ResultPromise<{ all: true; reject: false }>; output: () => string; waitFor: (re: RegExp, ms: number) => Promise<void> } {
  const proc = execa(path.join(projectRoot, "bin/kharness"), args, { env, all: true, reject: false, buffer: true });
  let output = "";
  proc.all!.on("data", (d: Buffer) => (output += d.toString()));
  const waitFor = async (re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!re.test(output)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${output.slice(-3000)}`);
      if (proc.exitCode !== null) throw new Error(`kharness exited (${proc.exitCode}) before ${re}:\n${output.slice(-3000)}`);
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
