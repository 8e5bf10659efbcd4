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

/** ccache's directory: in the cache unless KHARNESS_CCACHE says otherwise (a test with a cache of its own, kept warm). */
export function ccacheDir(): string {
  return process.env.KHARNESS_CCACHE ?? path.join(cacheRoot(), "ccache");
}

export function resultsRoot(): string {
  return process.env.KHARNESS_RESULTS ?? path.join(projectRoot, "results");
}
