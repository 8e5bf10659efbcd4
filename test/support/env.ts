/**
 * Run `use` with environment variables set (undefined: unset), and put each back as it was
 * after, however `use` ends: a PATH with a fake tool first, a private cache.
 */
export async function withEnv<T>(vars: Record<string, string | undefined>, use: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await use();
  } finally {
    set(saved);
  }
}

/** PATH with `dir` first: its tools are found before the host's. */
export const pathWith = (dir: string) => `${dir}:${process.env.PATH ?? ""}`;
