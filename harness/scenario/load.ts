import { promises as fs } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { archByName, DEFAULT_ARCH, isArchName, type Arch } from "../core/arch.js";
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
  /** The arch it is built for and booted on. */
  arch: Arch;
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
    if (!all.includes(v))
      throw new UserError(`scenario ${scenario.name} has no variant "${v}"`, `use one of: ${all.join(", ")}`);
  }
  return wanted ? all.filter((v) => v === scenario.baseline || wanted.includes(v)) : all;
}

/**
 * The entry of a per-target map (a variant's patches, a fix's expectation) for a kernel on an
 * arch: the most specific key wins, "kernel/arch", then the kernel's, then the arch's.
 */
export function forTarget<T>(map: Record<string, T>, kernel: string, arch: string): T | undefined {
  return map[`${kernel}/${arch}`] ?? map[kernel] ?? map[arch];
}

/** A per-target key's kernel part: "linux-6.1/arm64" and "linux-6.1" name linux-6.1; "arm64" names no kernel. */
function keyKernel(key: string): string | undefined {
  const kernel = key.split("/")[0]!;
  return isArchName(kernel) ? undefined : kernel;
}

/** The kernels a scenario has patches for: its default kernel, and every kernel a variant is ported to. */
export function scenarioKernels(scenario: Scenario): string[] {
  const keys = Object.values(scenario.variants).flatMap((v) =>
    Array.isArray(v.patches) ? [] : Object.keys(v.patches),
  );
  return [...new Set([scenario.kernel, ...keys.flatMap((k) => keyKernel(k) ?? [])])];
}

/** The verdict each fix is expected to get on `kernel` for `arch` (fixes without an expectation are not listed). */
export function expectFor(scenario: Scenario, kernel: string, arch: string): Record<string, VerdictName> {
  const out: Record<string, VerdictName> = {};
  for (const [fix, e] of Object.entries(scenario.expect)) {
    const v = typeof e === "string" ? e : forTarget(e, kernel, arch);
    if (v) out[fix] = v;
  }
  return out;
}

/** A variant's patch series for a kernel on an arch, relative to the scenario directory (undefined: not ported). */
function seriesFor(scenario: Scenario, variant: string, kernel: string, arch: string): string[] | undefined {
  const p = scenario.variants[variant]!.patches;
  return Array.isArray(p) ? p : forTarget(p, kernel, arch);
}

/** A variant's patch series for the loaded kernel and arch, relative to the scenario directory. */
export function variantPatches(loaded: LoadedScenario, variant: string): string[] {
  return seriesFor(loaded.scenario, variant, loaded.kernel.name, loaded.arch.name)!;
}

/**
 * scenarios/<name>/scenario.yaml, or the file or directory a path names; none is an input error listing the
 * known ones.
 */
async function scenarioFile(nameOrPath: string, root: string): Promise<string> {
  const candidates = [
    path.resolve(nameOrPath),
    path.resolve(nameOrPath, "scenario.yaml"),
    path.join(root, "scenarios", nameOrPath, "scenario.yaml"),
  ];
  for (const c of candidates) if (c.endsWith(".yaml") && (await exists(c))) return c;
  const known = await fs.readdir(path.join(root, "scenarios")).catch(() => []);
  throw new UserError(`no scenario "${nameOrPath}"`, `use one of: ${known.join(", ") || "(none in scenarios/)"}`);
}

/** Every variant has a series for the kernel on the arch, and every patch it names exists. */
async function checkSeries(scenario: Scenario, file: string, kernel: string, arch: Arch): Promise<void> {
  const dir = path.dirname(file);
  for (const [name, v] of Object.entries(scenario.variants)) {
    const series = seriesFor(scenario, name, kernel, arch.name);
    if (!series) {
      throw new UserError(
        `${file}: variant "${name}" has no patches for kernel ${kernel} on ${arch.name} ` +
          `(it has: ${Object.keys(v.patches).join(", ")})`,
        `port the variant and add a "${kernel}:" (or "${kernel}/${arch.name}:") list under its patches, ` +
          "or use one of the targets above",
      );
    }
    for (const p of series) {
      if (!(await exists(path.join(dir, p)))) {
        throw new UserError(
          `${file}: variant "${name}" names patch ${p}, which does not exist in ${dir}`,
          `fix the path under the variant's patches (relative to ${dir}), or add the file`,
        );
      }
    }
  }
  if (scenario.baseConfig && !(await exists(path.join(dir, scenario.baseConfig)))) {
    throw new UserError(
      `${file}: baseConfig ${scenario.baseConfig} does not exist in ${dir}`,
      `fix the path (relative to ${dir}), or add the file`,
    );
  }
}

/** kernels/<name>.yaml, which must be set up for the arch. */
async function recipeFor(file: string, kernelsDir: string, name: string, arch: Arch): Promise<KernelRecipe> {
  const kernelFile = path.join(kernelsDir, `${name}.yaml`);
  if (!(await exists(kernelFile))) {
    const known = (await fs.readdir(kernelsDir).catch(() => []))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => f.slice(0, -5));
    throw new UserError(`${file}: kernel "${name}" has no recipe ${kernelFile}`, `use one of: ${known.join(", ")}`);
  }
  const kernel = await loadKernelRecipe(kernelFile);
  if (!(kernel.arches as string[]).includes(arch.name)) {
    throw new UserError(
      `kernel recipe ${name} is not set up for ${arch.name} (its arches: ${kernel.arches.join(", ")})`,
      `use --arch ${kernel.arches[0]}, or add ${arch.name} to arches: in ${kernelFile} once it builds and boots there`,
    );
  }
  return kernel;
}

/**
 * Resolve a scenario by name (scenarios/<name>/scenario.yaml) or by a path to its file or
 * directory, for its own kernel or the one given, on x86_64 or the arch given.
 */
export async function loadScenario(
  nameOrPath: string,
  opts: { kernel?: string; arch?: string; root?: string } = {},
): Promise<LoadedScenario> {
  const root = opts.root ?? projectRoot;
  const file = await scenarioFile(nameOrPath, root);
  const { text, data } = await readYaml(file);
  const scenario = parseWithSchema(ScenarioSchema, data, file);
  const kernelName = opts.kernel ?? scenario.kernel;
  const arch = archByName(opts.arch ?? DEFAULT_ARCH);
  await checkSeries(scenario, file, kernelName, arch);
  const kernelsDir = path.join(root, "kernels");
  const kernel = await recipeFor(file, kernelsDir, kernelName, arch);
  return { scenario, file, text, dir: path.dirname(file), kernel, arch, kernelsDir };
}

export async function loadKernelRecipe(file: string): Promise<KernelRecipe> {
  return parseWithSchema(KernelRecipeSchema, (await readYaml(file)).data, file);
}

/** The scenario built from another source (the user's tree at a ref): variants, config and workload unchanged. */
export function onSource(loaded: LoadedScenario, source: SourceSpec): LoadedScenario {
  return { ...loaded, kernel: { ...loaded.kernel, source } };
}

/** A candidate fix as a variant of its own: the baseline's series plus one patch file (an absolute path). */
export function withFixVariant(
  loaded: LoadedScenario,
  fix: { name: string; description: string; patch: string },
): LoadedScenario {
  const { scenario } = loaded;
  if (fix.name in scenario.variants) {
    throw new UserError(
      `the fix ${fix.patch} would be variant "${fix.name}", which scenario ${scenario.name} already has`,
      "rename the patch file",
    );
  }
  const series = [...variantPatches(loaded, scenario.baseline), fix.patch];
  return {
    ...loaded,
    scenario: {
      ...scenario,
      variants: { ...scenario.variants, [fix.name]: { description: fix.description, patches: series } },
    },
  };
}
