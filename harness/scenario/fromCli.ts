/**
 * A scenario from the command line (`run --tree DIR --fix FILE --workload STEP[:k=v,...]`):
 * the same document a scenario.yaml holds, checked by the same schema, then written out as
 * a scenario directory (the run's own copy, or --save-scenario DIR) and loaded from there
 * like any other. The document is pure; writing it is the one I/O here.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { UserError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import { WORKLOAD_STEPS } from "../workload/registry.js";
import { parseWithSchema } from "./load.js";
import { ScenarioSchema, type Scenario } from "./schema.js";

/** The kernel recipe of scenarios made on the command line: its source is always the run's --tree. */
export const TREE_RECIPE = "tree";
/** The baseline of a scenario made on the command line: the tree at the ref, as it is. */
export const CLI_BASELINE = "baseline";
/** The options that turn `run` into a scenario from the command line. */
export const CLI_SCENARIO_FLAGS = "--workload, --require, --config, --save-scenario";

export interface CliScenarioRequest {
  tree: string;
  ref: string;
  /** Fixes: each a variant (expected FIXED), its patch as taken out of the file or commit. */
  /** Each fix: its variant name, what it is, and its patch's text. */
  fixes: { name: string; description: string; text: string }[];
  /** --workload STEP[:k=v,...], in order; the steps run together. */
  workload: string[];
  /** --require OPT,...: options (with or without CONFIG_) that must be =y. */
  require: string[];
  /** --config FILE: the user's .config as the base, with the fragments on top. */
  config?: string;
  timeoutSec?: number;
  maxRuns?: number;
}

/** "5" -> 5, "true" -> true, "1+2" -> [1, 2], anything else the text: what a YAML scalar or list would give. */
function scalar(text: string): unknown {
  if (text.includes("+")) return text.split("+").map(scalar);
  if (/^-?\d+$/.test(text)) return Number(text);
  return text === "true" ? true : text === "false" ? false : text;
}

/** "hotplug:rounds=40,cpus=1+2" -> { step: "hotplug", rounds: 40, cpus: [1, 2] }; the schema checks the rest. */
export function parseStepArg(arg: string): Record<string, unknown> {
  const [step, options = ""] = arg.split(/:(.*)/s) as [string, string?];
  const known = WORKLOAD_STEPS.map((s) => s.name);
  if (!known.includes(step as never))
    throw new UserError(
      `--workload ${arg}: no step "${step}"`,
      `use one of: ${known.join(", ")} (e.g. --workload hotplug:rounds=40)`,
    );
  const fields: Record<string, unknown> = { step };
  for (const pair of options.split(",").filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(pair);
    if (!m)
      throw new UserError(
        `--workload ${arg}: "${pair}" is not key=value`,
        "write the step's options as STEP:key=value,key=value",
      );
    fields[m[1]!] = scalar(m[2]!);
  }
  return fields;
}

/** The name of a scenario on this tree: a valid scenario name from the tree's directory. */
function scenarioName(tree: string): string {
  return `${
    path
      .basename(path.resolve(tree))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+/, "") || "tree"
  }-cli`;
}

/** The scenario document the request stands for, validated as a scenario file is (errors name the command line). */
export function cliScenario(req: CliScenarioRequest): Scenario {
  if (req.workload.length === 0)
    throw new UserError(
      "a scenario from the command line needs at least one --workload step",
      "e.g. --workload memcg-writer --workload hotplug:rounds=40",
    );
  const doc = {
    name: scenarioName(req.tree),
    description: `${req.tree} at ${req.ref}, with the fixes given on the command line`,
    kernel: TREE_RECIPE,
    requireConfig: req.require.map((o) => o.replace(/^CONFIG_/, "")),
    ...(req.config && { baseConfig: "base.config" }),
    baseline: CLI_BASELINE,
    variants: {
      [CLI_BASELINE]: { description: `${req.tree} at ${req.ref}, as it is`, patches: [] },
      ...Object.fromEntries(
        req.fixes.map((f) => [f.name, { description: f.description, patches: [`patches/${f.name}.patch`] }]),
      ),
    },
    workload: { mode: "together", timeoutSec: req.timeoutSec ?? 300, steps: req.workload.map(parseStepArg) },
    ...(req.maxRuns && { maxRuns: req.maxRuns }),
  };
  return parseWithSchema(ScenarioSchema, doc, `the scenario from the command line (${CLI_SCENARIO_FLAGS})`);
}

/** Write the scenario as a directory kharness run takes: scenario.yaml, patches/, and the base config. */
export async function saveCliScenario(dir: string, scenario: Scenario, req: CliScenarioRequest): Promise<string> {
  for (const f of req.fixes) await writeFileAtomic(path.join(dir, "patches", `${f.name}.patch`), f.text);
  if (req.config) {
    const text = await fs.readFile(req.config, "utf8").catch((err: Error) => {
      throw new UserError(`cannot read --config ${req.config}: ${err.message}`, "give the path of a kernel .config");
    });
    await writeFileAtomic(path.join(dir, "base.config"), text);
  }
  const header =
    "# Made by kharness run from the command line; run it again with:\n" +
    `#   kharness run ${dir} --tree ${req.tree} --ref ${req.ref}\n`;
  const file = path.join(dir, "scenario.yaml");
  await writeFileAtomic(file, header + YAML.stringify(scenario));
  return file;
}
