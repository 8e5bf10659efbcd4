import { Command } from "commander";
import { formatError } from "./core/errors.js";
import { createProgress } from "./core/progress.js";
import { loadScenario } from "./scenario/load.js";
import { prepareVariantKernel } from "./run/kernel.js";
import path from "node:path";
import { resultsRoot } from "./core/paths.js";

const program = new Command("kharness").description("Prove or disprove kernel locking bugs and their fixes in QEMU");

program
  .command("build")
  .description("build one variant's kernel (through the cache) and print the image path")
  .argument("<scenario>", "scenario name or path")
  .option("--variant <name>", "variant to build (default: the baseline)")
  .action(async (name: string, opts: { variant?: string }) => {
    const loaded = await loadScenario(name);
    const variant = opts.variant ?? loaded.scenario.baseline;
    const k = await prepareVariantKernel(loaded, variant, path.join(resultsRoot(), "builds", `${variant}.log`), createProgress());
    console.log(k.image.bzImage);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(formatError(err));
  process.exitCode = process.exitCode || 2;
});
