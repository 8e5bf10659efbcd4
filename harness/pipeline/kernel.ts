import path from "node:path";
import { projectRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { configureKernel, toolchainVersion, type KernelConfig } from "../config/config.js";
import { buildKernel, makeCommand, type KernelImage } from "../build/build.js";
import type { KernelRecord } from "../records/run.js";
import { variantPatches, type LoadedScenario } from "../scenario/load.js";
import { describeSource, withSourceTree } from "../source/registry.js";
import { applySeries, readPatches, type AppliedSeries, type SourceTree } from "../source/series.js";

/** A path for records: relative inside the project, absolute outside it (a fix given on the command line). */
function projectPath(file: string): string {
  const rel = path.relative(projectRoot, file);
  return rel.startsWith("..") ? file : rel;
}

export interface VariantKernel {
  variant: string;
  /** Where the source came from, for humans. */
  source: string;
  tree: SourceTree;
  series: AppliedSeries;
  config: KernelConfig;
  image: KernelImage;
  /** The config's base and fragments as the recipe and scenario name them, for records. */
  configNames: { base: string; fragments: string[] };
  toolchain: string;
  timings: { sourceMs: number; configMs: number; buildMs: number };
}

export const NO_PATCHES: AppliedSeries = { patches: [], reports: [], warnings: [] };

/** source -> patches -> config -> build for one variant of a scenario. */
export async function prepareVariantKernel(
  loaded: LoadedScenario,
  variant: string,
  buildLog: string,
  progress: Progress,
): Promise<VariantKernel> {
  const t0 = Date.now();
  const patches = await readPatches(variantPatches(loaded, variant).map((p) => path.resolve(loaded.dir, p)));
  // The tree holds one checkout and one series at a time: a second run on it waits until this build is done.
  return withSourceTree(loaded.kernel, progress, async (tree) => {
    const series = await applySeries(tree, patches);
    for (const w of series.warnings) progress.info(`warning: ${w}`);
    return buildTree(loaded, variant, tree, series, buildLog, progress, Date.now() - t0);
  });
}

/** The config inputs of a scenario on its kernel recipe: the recipe's fragments, the scenario's, and its required options. */
function configInputs(loaded: LoadedScenario) {
  const { scenario, kernel, arch, dir, kernelsDir } = loaded;
  const recipeFragment = (f: string) => (f.startsWith("tree:") ? f : path.join(kernelsDir, f));
  return {
    arch,
    base: kernel.base,
    ...(scenario.baseConfig && { baseConfig: path.resolve(dir, scenario.baseConfig) }),
    // The arch's fragments after the recipe's, so they can take back a generic choice.
    fragments: [
      ...[...kernel.fragments, ...arch.fragments].map(recipeFragment),
      ...scenario.fragments.map((f) => path.join(dir, f)),
    ],
    required: scenario.requireConfig.map((option) => ({ option, from: `scenario ${scenario.name}` })),
  };
}

/**
 * What can be wrong with a variant's input, found in seconds before any build: its source,
 * its patch series (each patch applies) and its config (every required option survives).
 * The make command its build will run, environment included.
 */
export async function checkVariant(loaded: LoadedScenario, variant: string, progress: Progress): Promise<string> {
  const patches = await readPatches(variantPatches(loaded, variant).map((p) => path.resolve(loaded.dir, p)));
  return withSourceTree(loaded.kernel, progress, async (tree) => {
    const series = await applySeries(tree, patches);
    const config = await configureKernel(tree, series, configInputs(loaded), await toolchainVersion(loaded.arch), progress);
    return makeCommand(loaded.arch, tree, config).command;
  });
}

/** config -> build of a source tree that is already in place (a patched tarball, or a checked-out commit). */
export async function buildTree(
  loaded: LoadedScenario,
  variant: string,
  tree: SourceTree,
  series: AppliedSeries,
  buildLog: string,
  progress: Progress,
  sourceMs = 0,
): Promise<VariantKernel> {
  const t1 = Date.now();
  const toolchain = await toolchainVersion(loaded.arch);
  const config = await configureKernel(tree, series, configInputs(loaded), toolchain, progress);
  const t2 = Date.now();
  const image = await buildKernel(loaded.arch, tree, series, config, toolchain, buildLog, progress);
  const source = describeSource(loaded.kernel.source);
  const configNames = { base: loaded.scenario.baseConfig ?? loaded.kernel.base, fragments: [...loaded.kernel.fragments, ...loaded.arch.fragments, ...loaded.scenario.fragments] };
  return { variant, source, tree, series, config, image, configNames, toolchain, timings: { sourceMs, configMs: t2 - t1, buildMs: Date.now() - t2 } };
}

/** What run.json and matrix.json keep of a built kernel: inputs with hashes, cost, and how to rebuild it. */
export function kernelRecord(k: VariantKernel, runDir: string, buildLog: string): KernelRecord {
  return {
    variant: k.variant,
    sourceId: k.tree.id,
    sourceHash: k.tree.sourceHash,
    source: k.source,
    patches: k.series.patches.map((p) => ({ name: p.name, sha256: p.sha256, path: projectPath(p.path) })),
    patchWarnings: k.series.warnings,
    ...(k.tree.origin && { origin: k.tree.origin }),
    config: k.configNames,
    configSha256: k.config.sha256,
    imageKey: k.image.key,
    toolchain: k.toolchain,
    cached: k.image.cached,
    buildMs: k.image.durationMs,
    compiledObjects: k.image.compiled.length,
    buildLog: path.relative(runDir, buildLog),
    command: k.image.command,
  };
}
