import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type Options, type Result, type ResultPromise } from "execa";
import { track } from "./children.js";
import { InfraError } from "./errors.js";
import { shellQuote } from "./shell.js";

/** How long make gets, after SIGTERM, to delete the targets it was writing before its group is SIGKILLed. */
export const GROUP_GRACE_SEC = 3;

const GROUP_SH = path.join(path.dirname(fileURLToPath(import.meta.url)), "group.sh");

/** The options of a child: execa's, and whether it leads a process group of its own (make, tar). */
export type ToolOptions = Options & { group?: boolean };

/** The argv that runs `file args` with a parent-death signal, so a SIGKILLed kharness leaves nothing running. */
export function launchArgv(
  file: string,
  args: readonly string[],
  group: boolean,
): { argv: string[]; cmdline: string[] } {
  // A group's supervisor (group.sh) takes TERM and ends the group itself; anything else just dies.
  const cmdline = group ? ["sh", GROUP_SH, String(GROUP_GRACE_SEC), file, ...args] : [file, ...args];
  return { argv: ["setpriv", "--pdeathsig", group ? "TERM" : "KILL", "--", ...cmdline], cmdline };
}

/**
 * THE door to external tools: every command kharness runs goes through here. It runs in
 * the C locale (kharness parses patch's and git's words), dies with kharness (a parent-death
 * signal), and is tracked and recorded until it ends, so an interrupt stops it and a later
 * kharness can end it if this one was killed. It never rejects: the caller reads the exit
 * (or uses toolOutput, whose error names the command).
 */
export function tool<O extends Options = {}>(
  file: string,
  args: readonly string[],
  options?: O & { group?: boolean },
): ResultPromise<O & { reject: false }>;
export function tool(file: string, args: readonly string[], options: ToolOptions = {}): unknown {
  const { group = false, ...rest } = options;
  const { argv, cmdline } = launchArgv(file, args, group);
  const proc = execa(argv[0]!, argv.slice(1), {
    ...rest,
    env: { ...rest.env, LC_ALL: "C" },
    reject: false,
    detached: group,
  });
  return track(proc as unknown as ResultPromise, { cmdline, group }) as unknown;
}

/** "exit 2", "killed by SIGKILL": how a child ended, for errors. */
export function howEnded(r: { exitCode?: number | undefined; signal?: string | undefined }): string {
  if (r.signal) return `killed by ${r.signal}`;
  return r.exitCode === undefined ? "did not start" : `exit ${r.exitCode}`;
}

/** The last lines a failed command printed, for its error. */
const tail = (text: unknown, lines = 15) =>
  typeof text === "string" ? text.trim().split("\n").slice(-lines).join("\n") : "";

/**
 * Run a command that must succeed; its output. A failure is an InfraError naming the command, its exit and
 * last words.
 */
export async function toolOutput(
  file: string,
  args: readonly string[],
  options: Options & { hint?: string } = {},
): Promise<Result<{ all: true }>> {
  const { hint, ...rest } = options;
  const r = (await tool(file, args, { ...rest, all: true })) as unknown as Result<{ all: true }>;
  if (r.exitCode === 0) return r;
  const said = tail(r.all) || (r as { originalMessage?: string }).originalMessage || "";
  const what = `${shellQuote([file, ...args])} failed (${howEnded(r)})${said ? `:\n${said}` : ""}`;
  throw new InfraError(what, hint ?? "run `kharness doctor`, and that command by hand to see why");
}
