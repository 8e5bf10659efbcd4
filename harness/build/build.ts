import { createWriteStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { track } from "../core/children.js";
import { shellQuote } from "../core/shell.js";
import { UserError } from "../core/errors.js";
import { exists, readJsonIfExists, writeJsonAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { HOST_ARCH } from "../core/arch.js";
import type { KernelConfig } from "../config/config.js";
import type { AppliedSeries, SourceTree } from "../source/source.js";

/** The kernel did not compile: the variant is broken, the run goes on (tuxmake's FAIL, not a crash). */
export class BuildFailure extends UserError {}

export interface KernelImage {
  /** Content hash of (source, patches, final .config, toolchain): the cache key. */
  key: string;
  bzImage: string;
  /** True when the image came from the cache and make did not run. */
  cached: boolean;
  durationMs: number;
  /** The shell command that reproduces this build by hand. */
  command: string;
  /** Objects make compiled, from its "CC" lines: shows an incremental build stayed small. */
  compiled: string[];
}

export function imageKey(tree: SourceTree, series: AppliedSeries, config: KernelConfig, toolchain: string): string {
  return sha256("kernel-image-v1", tree.content, ...series.patches.map((p) => p.sha256), config.sha256, toolchain);
}

export function makeArgs(srcDir: string, buildDir: string, jobs: number): string[] {
  return ["-C", srcDir, `O=${buildDir}`, `ARCH=${HOST_ARCH.make}`, `-j${jobs}`, "CC=ccache gcc", HOST_ARCH.target];
}

/**
 * Build bzImage out of tree with ccache. The build directory is shared by all variants of
 * one config, so after one variant only the files its patches touch recompile.
 */
export async function buildKernel(
  tree: SourceTree,
  series: AppliedSeries,
  config: KernelConfig,
  toolchain: string,
  logFile: string,
  progress: Progress,
): Promise<KernelImage> {
  const key = imageKey(tree, series, config, toolchain);
  const dir = path.join(cacheRoot(), "images", key);
  const bzImage = path.join(dir, "bzImage");
  const args = makeArgs(tree.dir, config.buildDir, os.cpus().length);
  const env = {
    CCACHE_DIR: path.join(cacheRoot(), "ccache"),
    // Fixed build identity: the image depends on the inputs only, and ccache hits more.
    KBUILD_BUILD_TIMESTAMP: "kharness",
    KBUILD_BUILD_USER: "kharness",
    KBUILD_BUILD_HOST: "kharness",
  };
  const command = shellQuote([...Object.entries(env).map(([k, v]) => `${k}=${v}`), "make", ...args]);
  await fs.mkdir(path.dirname(logFile), { recursive: true });

  const meta = await readJsonIfExists<{ compiled: string[] }>(path.join(dir, "meta.json"));
  if (meta && (await exists(bzImage))) {
    await fs.writeFile(logFile, `# cache hit: ${bzImage}\n# built by: ${command}\n`);
    return { key, bzImage, cached: true, durationMs: 0, command, compiled: meta.compiled };
  }

  progress.stage(`build ${tree.id} (${series.patches.map((p) => p.name).join(" + ") || "no patches"})`);
  const started = Date.now();
  const log = createWriteStream(logFile);
  log.write(`# command: ${command}\n`);
  const compiled: string[] = [];
  const proc = track(execa("make", args, { env, all: true, reject: false, buffer: false }));
  proc.all!.setEncoding("utf8");
  let pending = "";
  proc.all!.on("data", (chunk: string) => {
    log.write(chunk);
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      const cc = /^\s+CC\s+(\S+\.o)$/.exec(line);
      if (cc) compiled.push(cc[1]!);
      if (/^\s+[A-Z]+\S*\s+\S/.test(line)) progress.detail(line.trim());
    }
  });
  const result = await proc;
  await new Promise<void>((resolve) => log.end(resolve));
  const durationMs = Date.now() - started;
  if (result.exitCode !== 0) {
    const tail = (await fs.readFile(logFile, "utf8")).split("\n").slice(-30).join("\n");
    throw new BuildFailure(
      `kernel build failed (exit ${result.exitCode}) for ${tree.id} with ${series.patches.map((p) => p.name).join(", ") || "no patches"}; last lines:\n${tail}`,
      `see ${logFile}; reproduce with: ${command}`,
    );
  }
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(path.join(config.buildDir, HOST_ARCH.image), `${bzImage}.tmp`);
  await fs.rename(`${bzImage}.tmp`, bzImage);
  await fs.writeFile(path.join(dir, "config"), config.text);
  await writeJsonAtomic(path.join(dir, "meta.json"), { compiled, durationMs, command, patches: series.patches.map((p) => p.name) });
  progress.done(`built in ${(durationMs / 1000).toFixed(0)}s, ${compiled.length} objects compiled`);
  return { key, bzImage, cached: false, durationMs, command, compiled };
}
