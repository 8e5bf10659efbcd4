import path from "node:path";
import { UserError } from "../core/errors.js";
import { projectRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { configureKernel, toolchainVersion, writeBuildConfig, type KernelConfig } from "../config/config.js";
import { buildKernel, imageKey, makeCommand, type KernelImage } from "../build/build.js";
import type { KernelRecord } from "../records/run.js";
import type { KernelIdentity } from "./resume.js";
import { variantPatches, type LoadedScenario } from "../scenario/load.js";
import { describeSource, withSourceTree } from "../source/registry.js";
import { applySeries, readPatches, type AppliedSeries, type SourceTree } from "../source/series.js";

/** A path for records: relative inside the project, absolute outside it (a fix given on the command line). */
function projectPath(file: string): string {
  const rel = path.relative(projectRoot, file);
  return rel.startsWith("..") ? file : rel;
}

/**
 * A variant made ready for its build, once, by the checks: its source tree, its series
 * applied (every hunk known to apply), its config made and verified, and the make command
 * its build will run. The build uses all of it.
 */
export interface PreparedVariant {
  loaded: LoadedScenario;
  variant: string;
  /** Where the source came from, for humans. */
  source: string;
  tree: SourceTree;
  series: AppliedSeries;
  config: KernelConfig;
  /** The config's base and fragments as the recipe and scenario name them, for records. */
  configNames: { base: string; fragments: string[] };
  toolchain: string;
  /** The make command of its build, environment included. */
  make: string;
  timings: { sourceMs: number; configMs: number };
}

export interface VariantKernel extends Omit<PreparedVariant, "timings"> {
  image: KernelImage;
  timings: PreparedVariant["timings"] & { buildMs: number };
}

export const NO_PATCHES: AppliedSeries = { patches: [], reports: [], warnings: [] };

/**
 * The config inputs of a scenario on its kernel recipe: the recipe's fragments, the scenario's, and its
 * required options.
 */
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

/** The config of a tree whose series is in place (a patched tarball, or a checked-out commit). */
export async function configureTree(
  loaded: LoadedScenario,
  variant: string,
  tree: SourceTree,
  series: AppliedSeries,
  progress: Progress,
  sourceMs = 0,
): Promise<PreparedVariant> {
  const started = Date.now();
  const toolchain = await toolchainVersion(loaded.arch);
  const config = await configureKernel(tree, series, configInputs(loaded), toolchain, progress);
  const { scenario, kernel, arch } = loaded;
  const configNames = {
    base: scenario.baseConfig ?? kernel.base,
    fragments: [...kernel.fragments, ...arch.fragments, ...scenario.fragments],
  };
  const make = makeCommand(arch, tree, config).command;
  const timings = { sourceMs, configMs: Date.now() - started };
  return {
    loaded,
    variant,
    source: describeSource(kernel.source),
    tree,
    series,
    config,
    configNames,
    toolchain,
    make,
    timings,
  };
}

/**
 * source -> series -> config for one variant, in seconds before any build: what can be
 * wrong with its input (the source, a patch that does not apply, an option that does not
 * survive) is found here, and what is made here is what its build uses.
 */
export async function prepareVariant(
  loaded: LoadedScenario,
  variant: string,
  progress: Progress,
  /** The tree another variant of this source was prepared on: kept while it holds that source. */
  known?: SourceTree,
): Promise<PreparedVariant> {
  const started = Date.now();
  const patches = await readPatches(variantPatches(loaded, variant).map((p) => path.resolve(loaded.dir, p)));
  const prepare = async (tree: SourceTree) => {
    const series = await applySeries(tree, patches);
    for (const w of series.warnings) progress.info(`warning: ${w}`);
    return configureTree(loaded, variant, tree, series, progress, Date.now() - started);
  };
  return withSourceTree(loaded.kernel, progress, prepare, known);
}

/**
 * The build of a prepared variant. The tree holds one series at a time, so the variant's is
 * put back (from the files saved when it was applied: patch does not run again). A tree that
 * no longer holds the checks' source is prepared again; if that gives other source (a moved
 * ref, an edited directory), the kernel would not be the one its siblings were checked and
 * judged with, and the build is refused.
 */
export async function buildVariant(p: PreparedVariant, buildLog: string, progress: Progress): Promise<VariantKernel> {
  const build = async (tree: SourceTree) => {
    if (tree.content !== p.tree.content) {
      const was = `${p.tree.sourceHash.slice(0, 12)} at the checks, ${tree.sourceHash.slice(0, 12)} now`;
      const what = `${p.variant}: ${describeSource(p.loaded.kernel.source)} changed during the run (${was})`;
      throw new UserError(what, "run again once the source stays as it is");
    }
    await applySeries(tree, p.series.patches);
    return buildPrepared(p, buildLog, progress);
  };
  return withSourceTree(p.loaded.kernel, progress, build, p.tree);
}

/** One variant from its source to its image: its preparation, then its build (`kharness build`, the benches). */
export async function prepareVariantKernel(
  loaded: LoadedScenario,
  variant: string,
  buildLog: string,
  progress: Progress,
): Promise<VariantKernel> {
  return buildVariant(await prepareVariant(loaded, variant, progress), buildLog, progress);
}

/** make in a tree that holds the variant's source and series, under the tree's lock. */
export async function buildPrepared(p: PreparedVariant, buildLog: string, progress: Progress): Promise<VariantKernel> {
  const started = Date.now();
  await writeBuildConfig(p.config);
  const image = await buildKernel(p.loaded.arch, p.tree, p.series, p.config, p.toolchain, buildLog, progress);
  return { ...p, image, timings: { ...p.timings, buildMs: Date.now() - started } };
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

/** What a resumed run compares with the kernel its earlier runs booted (refuseChangedKernels). */
export function kernelIdentity(p: PreparedVariant): KernelIdentity {
  const patches = p.series.patches.map((x) => ({ name: x.name, sha256: x.sha256 }));
  const key = imageKey(p.loaded.arch, p.tree, p.series, p.config, p.toolchain);
  return {
    imageKey: key,
    sourceHash: p.tree.sourceHash,
    patches,
    configSha256: p.config.sha256,
    toolchain: p.toolchain,
  };
}
