/**
 * The two errors that stop kharness, named after tuxmake's TuxMakeUserError and
 * TuxMakeInfrastructureError: the user's input is wrong (a scenario, a patch, a flag), or the
 * host failed (a tool missing or failing, a full disk). Unlike tuxmake's, each carries a hint
 * that says how to fix it. Neither is a kernel that does not build (BuildFailure: tuxmake's
 * FAIL, evidence, not an error) nor a bug in kharness, which tuxmake would count as
 * infrastructure and formatError calls an internal error.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UserError";
  }
}

export class InfraError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "InfraError";
  }
}

/** Node's file errors carry the path: a full disk is the host's problem, and the path says which disk. */
function fileSystemError(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOSPC" || e?.code === "EDQUOT")
    return (
      `kharness: host error: no space left on the device holding ${e.path ?? "(unknown path)"}\n` +
      "  fix: free space there, or point KHARNESS_RESULTS / KHARNESS_CACHE at a larger disk"
    );
  if (e?.code === "EROFS" || e?.code === "EACCES")
    return (
      `kharness: host error: cannot write ${e.path ?? "(unknown path)"} (${e.code})\n` +
      "  fix: make it writable, or point KHARNESS_RESULTS / KHARNESS_CACHE elsewhere"
    );
  return undefined;
}

export function formatError(err: unknown): string {
  const fsError = fileSystemError(err);
  if (fsError) return fsError;
  if (err instanceof UserError || err instanceof InfraError) {
    const kind = err instanceof UserError ? "input error" : "host error";
    return `kharness: ${kind}: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ""}`;
  }
  // Other failures that know how to be fixed (a kernel that does not compile) say so too.
  if (err instanceof Error && typeof (err as { hint?: unknown }).hint === "string") {
    return `kharness: ${err.name}: ${err.message}\n  fix: ${(err as unknown as { hint: string }).hint}`;
  }
  return `kharness: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
