/** Pure .config handling: parse, read fragment requirements, verify. */

/** Option name (without CONFIG_) -> value; "n" for `# CONFIG_X is not set`. */
export type KconfigValues = Map<string, string>;

export function parseKconfig(text: string): KconfigValues {
  const values: KconfigValues = new Map();
  for (const line of text.split("\n")) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) {
      values.set(set[1]!, set[2]!);
      continue;
    }
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) values.set(unset[1]!, "n");
  }
  return values;
}

export interface ConfigRequirement {
  option: string;
  value: string;
  /** Where the requirement comes from (a fragment file or the scenario). */
  from: string;
}

export function requirementsFromFragment(text: string, from: string): ConfigRequirement[] {
  return [...parseKconfig(text)].map(([option, value]) => ({ option, value, from }));
}

export interface ConfigProblem extends ConfigRequirement {
  actual: string;
}

/** Every requirement whose option the final config does not hold with the wanted value. */
export function verifyKconfig(config: KconfigValues, reqs: ConfigRequirement[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const r of reqs) {
    const actual = config.get(r.option) ?? "n";
    const want = r.value.replace(/^"|"$/g, "");
    if (actual.replace(/^"|"$/g, "") !== want) problems.push({ ...r, actual });
  }
  return problems;
}

export function describeProblems(problems: ConfigProblem[]): string {
  return problems
    .map(
      (p) =>
        `  CONFIG_${p.option}: wanted ${p.value}, got ${p.actual === "n" ? "not set" : p.actual} ` +
        `(required by ${p.from})`,
    )
    .join("\n");
}
