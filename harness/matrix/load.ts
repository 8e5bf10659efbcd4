import { promises as fs } from "node:fs";
import path from "node:path";
import { UserError } from "../core/errors.js";
import { projectRoot } from "../core/paths.js";
import { loadScenario, parseWithSchema, readYaml, scenarioKernels, type LoadedScenario } from "../scenario/load.js";
import { targetKey } from "../records/run.js";
import type { ArchName } from "../core/arch.js";
import { matchesPattern, type CellPattern } from "./expand.js";
import { MatrixSchema, type Matrix } from "./schema.js";

export interface LoadedMatrix {
  matrix: Matrix;
  file: string;
  text: string;
  /** Each scenario loaded for each kernel and arch that has cells, by `targetKey`. */
  loaded: Map<string, LoadedScenario>;
  /** The matrix's exclude patterns, with hotplug as the cells have it. */
  exclude: CellPattern[];
}

/** Whether a kernel on an arch has no cell left: every vCPU count and hotplug setting of it is excluded. */
function pairExcluded(matrix: Matrix, exclude: CellPattern[], kernel: string, arch: ArchName): boolean {
  const shapes = matrix.cpus.flatMap((cpus) => matrix.hotplug.map((h) => ({ cpus, hotplug: h === "on" })));
  return shapes.every((s) => exclude.some((p) => matchesPattern({ scenario: "", variant: "", kernel, arch, ...s }, p)));
}

/** Read and check a matrix file: the schema, then that every scenario exists and is ported to every kernel. */
export async function loadMatrix(fileOrName: string): Promise<LoadedMatrix> {
  const candidates = [
    path.resolve(fileOrName),
    path.join(projectRoot, "scenarios", fileOrName),
    path.join(projectRoot, "scenarios", `${fileOrName}.yaml`),
  ];
  let file: string | undefined;
  for (const c of candidates)
    if (
      await fs.stat(c).then(
        (st) => st.isFile(),
        () => false,
      )
    )
      file ??= c;
  if (!file)
    throw new UserError(
      `no matrix file "${fileOrName}"`,
      "give the path of a matrix file, e.g. scenarios/nightly.yaml",
    );
  const { text, data } = await readYaml(file);
  const matrix = parseWithSchema(MatrixSchema, data, file);
  const exclude = matrix.exclude.map(({ hotplug, ...p }) => ({ ...p, ...(hotplug && { hotplug: hotplug === "on" }) }));
  checkExclude(file, matrix);
  const loaded = new Map<string, LoadedScenario>();
  for (const name of matrix.scenarios) {
    const base = await loadScenario(name);
    const ported = scenarioKernels(base.scenario);
    for (const kernel of matrix.kernels) {
      if (!ported.includes(kernel)) {
        throw new UserError(
          `${file}: kernels: scenario ${name} has no patches for ${kernel} (it has: ${ported.join(", ")})`,
          `drop ${kernel} from kernels, or port the scenario's patches to it`,
        );
      }
      for (const arch of matrix.arches.filter((a) => !pairExcluded(matrix, exclude, kernel, a))) {
        loaded.set(targetKey({ scenario: name, kernel, arch }), await loadScenario(name, { kernel, arch }));
      }
    }
    for (const v of matrix.variants ?? []) {
      if (!(v in base.scenario.variants)) {
        throw new UserError(
          `${file}: variants: "${v}" is not a variant of scenario ${name}`,
          `use some of: ${Object.keys(base.scenario.variants).join(", ")}`,
        );
      }
    }
  }
  if (loaded.size === 0)
    throw new UserError(`${file}: exclude: every cell of the matrix is excluded`, "drop or narrow an exclude pattern");
  return { matrix, file, text, loaded, exclude };
}

/**
 * An exclude pattern names kernels and vCPU counts of the matrix's axes: a misspelt one would silently match
 * nothing.
 */
function checkExclude(file: string, matrix: Matrix): void {
  matrix.exclude.forEach((p, i) => {
    if (p.kernel !== undefined && !matrix.kernels.includes(p.kernel)) {
      throw new UserError(
        `${file}: exclude.${i}.kernel: "${p.kernel}" is not one of the matrix's kernels`,
        `use one of: ${matrix.kernels.join(", ")}`,
      );
    }
    if (p.cpus !== undefined && !(matrix.cpus as number[]).includes(p.cpus)) {
      throw new UserError(
        `${file}: exclude.${i}.cpus: ${p.cpus} is not one of the matrix's vCPU counts`,
        `use one of: ${matrix.cpus.join(", ")}`,
      );
    }
  });
}
