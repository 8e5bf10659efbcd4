import path from "node:path";
import { runInterruptible } from "../core/interrupt.js";
import { resultsRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { prepareVariantKernel } from "../pipeline/kernel.js";
import { loadScenario, selectVariants } from "../scenario/load.js";

/** `kharness build`: one variant's kernel through the cache; prints the image path. */
export async function buildCommand(
  name: string,
  opts: { variant?: string; kernel?: string; arch?: string },
  progress: Progress,
): Promise<void> {
  const loaded = await loadScenario(name, opts);
  const variant = opts.variant ?? loaded.scenario.baseline;
  selectVariants(loaded.scenario, [variant]);
  const log = path.join(resultsRoot(), "builds", `${loaded.arch.name}-${variant}.log`);
  const k = await runInterruptible(`the build of ${variant}`, progress, () =>
    prepareVariantKernel(loaded, variant, log, progress),
  );
  console.log(k.image.bzImage);
}
