import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (where scenarios/, kernels/ and results/ live). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The kernel/ccache cache lives outside the clone so a fresh CI clone on the same
 * machine starts warm. KHARNESS_CACHE overrides it.
 */
export function cacheRoot(): string {
  return process.env.KHARNESS_CACHE ?? path.join(os.homedir(), ".cache", "kharness");
}

/**
 * Where the built images are kept (`images/`): the cache, unless KHARNESS_BUILD_ROOT says
 * otherwise. The kill-and-rebuild test builds in fresh ones: its images here, its build
 * directories beside the shared ones in the source tree (buildDirOf), with the shared
 * configs and ccache, so it never damages the shared build directories and stays warm.
 */
export function buildRoot(): string {
  return process.env.KHARNESS_BUILD_ROOT ?? cacheRoot();
}

export function resultsRoot(): string {
  return process.env.KHARNESS_RESULTS ?? path.join(projectRoot, "results");
}
