/**
 * A real kernel history for bisection tests, made from Debian's linux-source-6.1: the
 * pristine tree, harmless commits, the memcg bug (shared PoC 0001), the incomplete fix
 * (0002, reorder), the real fix (the state of 0001 + 0003: hotplug lock dropped). Built
 * once per layout into the cache, then reused.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { $ } from "zx";
import { exists } from "../../harness/core/files.js";
import { cacheRoot, projectRoot } from "../../harness/core/paths.js";

type Step = "harmless" | "bug" | "reorder" | "realfix";

/**
 * The history of the issue. CI bisects its first commits (base..bug) and the nightly check
 * all of it: one repository, so both share one clone and one build directory.
 */
export const LAYOUTS: Record<string, Step[]> = {
  full: [
    "harmless",
    "harmless",
    "bug",
    "harmless",
    "harmless",
    "reorder",
    "harmless",
    "harmless",
    "realfix",
    "harmless",
    "harmless",
  ],
};

const TARBALL = "/usr/src/linux-source-6.1.tar.xz";
const PATCHES = path.join(projectRoot, "scenarios", "memcg-hotplug-lockdep", "patches");
const FILE = "mm/memcontrol.c";
const SERIES: Record<Exclude<Step, "harmless">, string[]> = {
  bug: ["0001-bug.patch"],
  reorder: ["0001-bug.patch", "0002-fix.patch"],
  realfix: ["0001-bug.patch", "0003-fix-drop-hotplug-lock.patch"],
};
const SUBJECT: Record<Step, string> = {
  harmless: "Documentation: note %d for the bisection history",
  bug: "mm/memcg: take cpus_read_lock() in mem_cgroup_wb_stats() (the bug)",
  reorder: "mm/memcg: take the hotplug lock outside the RCU section (incomplete fix)",
  realfix: "mm/memcg: drop the hotplug lock from mem_cgroup_wb_stats() (real fix)",
};

export interface History {
  dir: string;
  /** Commit hashes, base first. */
  commits: string[];
  steps: ("base" | Step)[];
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "kharness test",
  GIT_AUTHOR_EMAIL: "kharness@localhost",
  GIT_COMMITTER_NAME: "kharness test",
  GIT_COMMITTER_EMAIL: "kharness@localhost",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
};
/** Commands in `dir` as the fixed test author, so the history's hashes are the same on every machine. */
const inDir = (dir: string) => $({ cwd: dir, env: { ...process.env, ...GIT_IDENTITY } });

/** mm/memcontrol.c as pristine + the given patches, via GNU patch on a copy. */
async function patchedFile(pristine: string, patches: string[]): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-history-"));
  const file = path.join(tmp, "memcontrol.c");
  await fs.copyFile(pristine, file);
  for (const p of patches) await $`patch --silent --batch ${file} ${path.join(PATCHES, p)}`;
  const text = await fs.readFile(file, "utf8");
  await fs.rm(tmp, { recursive: true });
  return text;
}

export async function memcgHistory(layout: keyof typeof LAYOUTS): Promise<History> {
  const steps = LAYOUTS[layout]!;
  const dir = path.join(cacheRoot(), "test-histories", `linux-6.1-memcg-${layout}`);
  if (await exists(path.join(dir, ".git", "kharness-complete"))) {
    const commits = (await inDir(dir)`git rev-list --reverse HEAD`).lines();
    return { dir, commits, steps: ["base", ...steps] };
  }
  const tmp = `${dir}.creating-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  const sh = inDir(tmp);
  await sh`tar -xf ${TARBALL} --strip-components=1`;
  await sh`git init -q -b main`;
  // -f: the Debian tarball's top-level .gitignore ignores everything outside debian/.
  await sh`git add -A -f`;
  await sh`git commit -q -m ${"linux 6.1 from Debian's linux-source-6.1"}`;
  const pristine = path.join(os.tmpdir(), `kharness-memcontrol-${process.pid}.c`);
  await fs.copyFile(path.join(tmp, FILE), pristine);
  for (const [i, step] of steps.entries()) {
    if (step === "harmless") {
      await fs.appendFile(path.join(tmp, "Documentation", "kharness-history.txt"), `note ${i + 1}\n`);
    } else {
      await fs.writeFile(path.join(tmp, FILE), await patchedFile(pristine, SERIES[step]));
    }
    await sh`git add -A -f`;
    await sh`git commit -q -m ${SUBJECT[step].replace("%d", String(i + 1))}`;
  }
  await fs.rm(pristine);
  await fs.writeFile(path.join(tmp, ".git", "kharness-complete"), "");
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  return memcgHistory(layout);
}

/** Make one layout from the command line: npx tsx bench/support/memcgHistory.ts full */
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const h = await memcgHistory((process.argv[2] ?? "full") as keyof typeof LAYOUTS);
  console.log(h.dir);
  for (const [i, c] of h.commits.entries()) console.log(`${c.slice(0, 12)} ${h.steps[i]}`);
}
