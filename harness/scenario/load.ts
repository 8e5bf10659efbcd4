import { promises as fs } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { UserError } from "../core/errors.js";
import { exists } from "../core/files.js";
import { projectRoot } from "../core/paths.js";
import { KernelRecipeSchema, ScenarioSchema, type KernelRecipe, type Scenario } from "./schema.js";

export interface LoadedScenario {
  scenario: Scenario;
  /** Directory holding scenario.yaml; patch and fragment paths are relative to it. */
  dir: string;
  kernel: KernelRecipe;
  kernelsDir: string;
}

/** Validate parsed YAML against a schema; the error names the file and every bad field. */
export function parseWithSchema<T extends z.ZodType>(schema: T, data: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(top level)"}: ${i.message}`);
  throw new UserError(`${file} is not valid:\n${lines.join("\n")}`, `edit ${file} so the fields above match the schema`);
}

async function readYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return YAML.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
}

/** Resolve a scenario by name (scenarios/<name>/scenario.yaml) or by a path to its file or directory. */
export async function loadScenario(nameOrPath: string, root = projectRoot): Promise<LoadedScenario> {
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
  const scenario = parseWithSchema(ScenarioSchema, await readYaml(file), file);
  const dir = path.dirname(file);
  for (const [name, v] of Object.entries(scenario.variants)) {
    for (const p of v.patches) {
      if (!(await exists(path.join(dir, p)))) {
        throw new UserError(`${file}: variant "${name}" names patch ${p}, which does not exist in ${dir}`);
      }
    }
  }
  const kernelsDir = path.join(root, "kernels");
  const kernelFile = path.join(kernelsDir, `${scenario.kernel}.yaml`);
  if (!(await exists(kernelFile))) {
    throw new UserError(`${file}: kernel "${scenario.kernel}" has no recipe ${kernelFile}`);
  }
  const kernel = await loadKernelRecipe(kernelFile);
  return { scenario, dir, kernel, kernelsDir };
}

export async function loadKernelRecipe(file: string): Promise<KernelRecipe> {
  return parseWithSchema(KernelRecipeSchema, await readYaml(file), file);
}
