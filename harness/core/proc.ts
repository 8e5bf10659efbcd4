import { readdirSync, readFileSync } from "node:fs";

/**
 * What /proc says of one process: enough to tell it from a later process that got the same
 * pid (its start time, in clock ticks since boot, and its command line), and its group.
 */
export interface ProcInfo {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. With the pid, unique per boot. */
  startTime: number;
  pgid: number;
  /** R, S, D, Z (a zombie: dead, only waiting to be reaped), ... */
  state: string;
  cmdline: string[];
}

/** The fields of /proc/PID/stat after the command name, which may itself hold spaces and parentheses. */
export function parseStat(text: string): Pick<ProcInfo, "state" | "pgid" | "startTime"> {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const [state, pgid, startTime] = [rest[0], Number(rest[2]), Number(rest[19])];
  if (!state || !Number.isInteger(pgid) || !Number.isInteger(startTime)) {
    throw new Error(`unreadable /proc stat line: ${text.slice(0, 200)}`);
  }
  return { state, pgid, startTime };
}

/** A process as /proc shows it now; undefined once it is gone (or was never there). */
export function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    return { pid, ...stat, cmdline };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ESRCH")
      return undefined;
    throw err;
  }
}

/** Every process on the host, as far as it can be read (one may end while the list is read). */
export function allProcs(): ProcInfo[] {
  const pids = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  return pids.map(procInfo).filter((p): p is ProcInfo => p !== undefined);
}

/** This boot's id: a pid and start time recorded before a reboot name no process after it. */
export function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

/** Alive and not a zombie: a zombie has ended and holds nothing. */
export const running = (p: ProcInfo | undefined): p is ProcInfo => p !== undefined && p.state !== "Z";
