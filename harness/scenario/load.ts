import { promises as fs } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { projectRoot } from "../core/paths.js";
import { describeIssues } from "../core/schemas.js";
import type { VerdictName } from "../records/common.js";
import type { SourceSpec } from "../source/registry.js";
import { KernelRecipeSchema, ScenarioSchema, type KernelRecipe, type Scenario } from "./schema.js";

export interface LoadedScenario {
  scenario: Scenario;
  /** The scenario.yaml it came from, and its text as loaded (the run's record hashes this). */
  file: string;
  text: string;
  /** Directory holding scenario.yaml; patch and fragment paths are relative to it. */
  dir: string;
  kernel: KernelRecipe;
  kernelsDir: string;
}

/** Validate parsed YAML against a schema; the error names the file and every bad field. */
export function parseWithSchema<T extends z.ZodType>(schema: T, data: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const hint = `edit ${file} so the fields above match the schema`;
  throw new UserError(`${file} is not valid:\n${describeIssues(result.error)}`, hint);
}

/** A YAML input file: its text and its data; unreadable or invalid YAML is an input error naming the file. */
export async function readYaml(file: string): Promise<{ text: string; data: unknown }> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, "check the path");
  }
  try {
    return { text, data: YAML.parse(text) };
  } catch (err) {
    throw new UserError(`${file} is not valid YAML: ${(err as Error).message}`, `fix the YAML syntax in ${file}`);
  }
}

/** The variants to run: all, or the ones asked for plus the baseline; an unknown name is an input error. */
export function selectVariants(scenario: Scenario, wanted?: string[]): string[] {
  const all = Object.keys(scenario.variants);
  for (const v of wanted ?? []) {
    if (!all.includes(v)) throw new UserError(`scenario ${scenario.name} has no variant "${v}"`, `use one of: ${all.join(", ")}`);
  }
  return wanted ? all.filter((v) => v === scenario.baseline || wanted.includes(v)) : all;
}

/** The kernels a scenario has patches for: its default kernel, and every kernel a variant is ported to. */
export function scenarioKernels(scenario: Scenario): string[] {
  const ported = Object.values(scenario.variants).flatMap((v) => (Array.isArray(v.patches) ? [] : Object.keys(v.patches)));
  return [...new Set([scenario.kernel, ...ported])];
}

/** The verdict each fix is expected to get on `kernel` (fixes without an expectation are not listed). */
export function expectFor(scenario: Scenario, kernel: string): Record<string, VerdictName> {
  const out: Record<string, VerdictName> = {};
  for (const [fix, e] of Object.entries(scenario.expect)) {
    const v = typeof e === "string" ? e : e[kernel];
    if (v) out[fix] = v;
  }
  return out;
}

/** A variant's patch series for the loaded kernel, relative to the scenario directory. */
export function variantPatches(loaded: LoadedScenario, variant: string): string[] {
  const p = loaded.scenario.variants[variant]!.patches;
  return Array.isArray(p) ? p : p[loaded.kernel.name]!;
}

/**
 * Resolve a scenario by name (scenarios/<name>/scenario.yaml) or by a path to its file or
 * directory, for its own kernel or the one given.
 */
export async function loadScenario(nameOrPath: string, opts: { kernel?: string; root?: string } = {}): Promise<LoadedScenario> {
  const root = opts.root ?? projectRoot;
  const candidates = [
    path.resolve(nameOrPath),
    path.resolve(nameOrPath, "scenario.yaml"),
    path.join(root, "scenarios", nameOrPath, "scenario.yaml"),
  ];
  let file: string | undefined;
  for (const c of candidates) {
    if (c.endsWith(".yaml") && (await exists(c))) {
      file = c;
      break;
    }
  }
  if (!file) {
    const known = await fs.readdir(path.join(root, "scenarios")).catch(() => []);
    throw new UserError(`no scenario "${nameOrPath}"`, `use one of: ${known.join(", ") || "(none in scenarios/)"}`);
  }
  const { text, data } = await readYaml(file);
  const scenario = parseWithSchema(ScenarioSchema, data, file);
  const dir = path.dirname(file);
  const kernelName = opts.kernel ?? scenario.kernel;
  for (const [name, v] of Object.entries(scenario.variants)) {
    const series = Array.isArray(v.patches) ? v.patches : v.patches[kernelName];
    if (!series) {
      throw new UserError(
        `${file}: variant "${name}" has no patches for kernel ${kernelName} (it has: ${Object.keys(v.patches).join(", ")})`,
        `port the variant to ${kernelName} and add a "${kernelName}:" list under its patches, or use one of the kernels above`,
      );
    }
    for (const p of series) {
      if (!(await exists(path.join(dir, p)))) {
        throw new UserError(`${file}: variant "${name}" names patch ${p}, which does not exist in ${dir}`, `fix the path under the variant's patches (relative to ${dir}), or add the file`);
      }
    }
  }
  if (scenario.baseConfig && !(await exists(path.join(dir, scenario.baseConfig)))) {
    throw new UserError(`${file}: baseConfig ${scenario.baseConfig} does not exist in ${dir}`, `fix the path (relative to ${dir}), or add the file`);
  }
  const kernelsDir = path.join(root, "kernels");
  const kernelFile = path.join(kernelsDir, `${kernelName}.yaml`);
  if (!(await exists(kernelFile))) {
    const known = (await fs.readdir(kernelsDir).catch(() => [])).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5));
    throw new UserError(`${file}: kernel "${kernelName}" has no recipe ${kernelFile}`, `use one of: ${known.join(", ")}`);
  }
  const kernel = await loadKernelRecipe(kernelFile);
  return { scenario, file, text, dir, kernel, kernelsDir };
}

export async function loadKernelRecipe(file: string): Promise<KernelRecipe> {
  return parseWithSchema(KernelRecipeSchema, (await readYaml(file)).data, file);
}

/** The scenario built from another source (the user's tree at a ref): variants, config and workload unchanged. */
export function onSource(loaded: LoadedScenario, source: SourceSpec): LoadedScenario {
  return { ...loaded, kernel: { ...loaded.kernel, source } };
}

/** A candidate fix as a variant of its own: the baseline's series plus one patch file (an absolute path). */
export function withFixVariant(loaded: LoadedScenario, fix: { name: string; description: string; patch: string }): LoadedScenario {
  const { scenario } = loaded;
  if (fix.name in scenario.variants) {
    throw new UserError(`the fix ${fix.patch} would be variant "${fix.name}", which scenario ${scenario.name} already has`, "rename the patch file");
  }
  const series = [...variantPatches(loaded, scenario.baseline), fix.patch];
  return { ...loaded, scenario: { ...scenario, variants: { ...scenario.variants, [fix.name]: { description: fix.description, patches: series } } } };
}
