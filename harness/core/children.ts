import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ResultPromise } from "execa";
import { cacheRoot } from "./paths.js";
import { allProcs, bootId, procInfo, running, type ProcInfo } from "./proc.js";

/** A child as recorded: enough to find it again, and to be sure a process found later is it. */
export interface ChildRecord {
  pid: number;
  startTime: number;
  /** What /proc shows once the launcher (setpriv) has exec'd the command. */
  cmdline: string[];
  /** The leader of its own process group (make, tar): its whole group is its. */
  group: boolean;
}

/** One kharness process's children, on disk while it has any: what the next kharness ends if this one dies. */
export interface ChildRegistry {
  schema: "kharness.children/1";
  boot: string;
  owner: { pid: number; startTime: number; cmdline: string[] };
  children: ChildRecord[];
}

/** Long-lived child processes (make, QEMU, git, tar), so an interrupted or failed run can stop them all. */
const live = new Map<ResultPromise, ChildRecord>();

/** Where each kharness keeps its children's records: one file per kharness process, in the shared cache. */
export const registryDir = () => path.join(cacheRoot(), "children");
const registryFile = () => path.join(registryDir(), `${process.pid}.json`);

/**
 * This process's registry, written at once (synchronously: a SIGKILL may come at any moment), or removed when
 * empty.
 */
function saveRegistry(): void {
  const file = registryFile();
  if (live.size === 0) return rmSync(file, { force: true });
  const self = procInfo(process.pid)!;
  const owner = { pid: self.pid, startTime: self.startTime, cmdline: self.cmdline };
  const record: ChildRegistry = { schema: "kharness.children/1", boot: bootId(), owner, children: [...live.values()] };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${file}.tmp`, file);
}

/**
 * Track a child until it ends, in memory and in this process's registry. `cmdline` is what
 * it runs after its launcher; `group`: it leads its own process group (started detached).
 */
export function track<T extends ResultPromise>(proc: T, opts: { cmdline: string[]; group: boolean }): T {
  const info = proc.pid === undefined ? undefined : procInfo(proc.pid);
  // A child that failed to start, or already ended and was reaped, has nothing left to stop.
  if (!info) return proc;
  live.set(proc, { pid: info.pid, startTime: info.startTime, cmdline: opts.cmdline, group: opts.group });
  saveRegistry();
  const forget = () => {
    live.delete(proc);
    try {
      saveRegistry();
    } catch (err) {
      // Not fatal for the run: the next kharness finds only ended processes in a stale entry.
      process.stderr.write(`kharness: warning: cannot update ${registryFile()}: ${(err as Error).message}\n`);
    }
  };
  void proc.then(forget, forget);
  return proc;
}

/**
 * Stop every child: a group leader (the supervisor of make) gets SIGTERM and ends its group
 * itself, gently (make deletes the targets it was writing), then by SIGKILL after its grace;
 * QEMU and the rest get SIGKILL.
 */
export function killAllChildren(): number {
  const n = live.size;
  for (const [p, { group }] of live) p.kill(group ? "SIGTERM" : "SIGKILL");
  return n;
}

/** The recorded command line, or the same one not yet exec'd by its launcher (setpriv ... -- CMD). */
function sameCommand(recorded: string[], now: string[]): boolean {
  const tail = now.slice(now.length - recorded.length);
  const launcherOk =
    now.length === recorded.length || (now[0] === "setpriv" && now[now.length - recorded.length - 1] === "--");
  return launcherOk && tail.length === recorded.length && tail.every((a, i) => a === recorded[i]);
}

/**
 * The processes of a dead kharness that still run, from its registry and the host's process
 * list: a recorded child whose pid, start time and command line all match, and for a group
 * leader the members of its group that started after it (a group id is not reused while any
 * member lives). A pid now used by another process names nothing of ours.
 */
export function leftoversOf(registry: ChildRegistry, procs: ProcInfo[]): ProcInfo[] {
  const found = new Map<number, ProcInfo>();
  for (const child of registry.children) {
    const now = procs.find((p) => p.pid === child.pid);
    const ours = now !== undefined && now.startTime === child.startTime && sameCommand(child.cmdline, now.cmdline);
    if (ours && running(now)) found.set(now.pid, now);
    if (!child.group || (now !== undefined && !ours)) continue;
    for (const m of procs)
      if (m.pgid === child.pid && m.startTime >= child.startTime && running(m)) found.set(m.pid, m);
  }
  return [...found.values()];
}

/** SIGKILL, where a process that ended since it was listed is no error. */
function killIfThere(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** A registry file as written by saveRegistry; anything else there is named, with how to clear it. */
function readRegistry(file: string): ChildRegistry {
  let record: Partial<ChildRegistry>;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as Partial<ChildRegistry>;
  } catch (err) {
    throw new Error(`cannot read the child registry ${file}: ${(err as Error).message}; remove it if no kharness runs`);
  }
  const whole = record.schema === "kharness.children/1" && record.owner && Array.isArray(record.children);
  if (whole) return record as ChildRegistry;
  throw new Error(
    `${file} is not a kharness child registry (schema kharness.children/1); remove it if no kharness runs`,
  );
}

const ownerAlive = (r: ChildRegistry, boot: string) => {
  const p = procInfo(r.owner.pid);
  return r.boot === boot && running(p) && p.startTime === r.owner.startTime;
};

/**
 * End what dead kharness processes left running (their QEMU, make and compilers), after
 * checking each is theirs (never by name), and remove their registries. Returns one line
 * per dead kharness that had any, for the user to read.
 */
export function endLeftovers(): string[] {
  const dir = registryDir();
  const files = (() => {
    try {
      return readdirSync(dir).filter((f) => /^\d+\.json$/.test(f));
    } catch {
      return []; // no registry yet: no kharness has had children here
    }
  })();
  const said: string[] = [];
  const boot = bootId();
  for (const f of files) {
    const file = path.join(dir, f);
    const registry = readRegistry(file);
    if (ownerAlive(registry, boot)) continue;
    const victims = registry.boot === boot ? leftoversOf(registry, allProcs()) : [];
    for (const v of victims) killIfThere(v.pid);
    rmSync(file, { force: true });
    if (victims.length) {
      const what = victims.map((v) => `${v.pid} ${v.cmdline.slice(0, 3).join(" ")}`).join("; ");
      const owner = `pid ${registry.owner.pid}: ${registry.owner.cmdline.slice(1).join(" ")}`;
      said.push(`ended ${victims.length} leftover process(es) of a dead kharness (${owner}): ${what}`);
    }
  }
  return said;
}
