/**
 * What a failed kernel build's log says first: the line a developer looks for. gcc's
 * `file:line:col: error: ...` (or `fatal error:`), else the linker's, else make's own
 * `*** [...] Error N` (a failed script, a missing tool).
 */
export function firstBuildError(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.trimEnd());
  const compiler = lines.find((l) => /^[^\s:]+:\d+(?::\d+)?: (?:fatal )?error: /.test(l));
  const linker = lines.find((l) =>
    /undefined reference to|multiple definition of|^(?:\S*\/)?ld(?:\.bfd)?: .*(?:error|cannot find)/.test(l),
  );
  const make = lines.find((l) => /^make(?:\[\d+\])?: \*\*\* .*Error \d+/.test(l));
  return (compiler ?? linker ?? make)?.trim();
}
