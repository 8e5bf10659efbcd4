import { createWriteStream, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { howEnded, tool } from "../core/exec.js";
import { shellQuote } from "../core/shell.js";
import { InfraError } from "../core/errors.js";
import { interruption, Interrupted } from "../core/interrupt.js";
import { exists, writeJsonAtomic } from "../core/files.js";
import { sha256, sha256File } from "../core/hash.js";
import { ImageMetaSchema, type ImageMeta } from "../records/cache.js";
import { readRecordIfExists } from "../records/read.js";
import { buildRoot, cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { crossPrefix, makeArchVars, type Arch } from "../core/arch.js";
import type { KernelConfig } from "../config/config.js";
import type { AppliedSeries, SourceTree } from "../source/source.js";
import { markBuildEnded, markBuildStarted, recoverBuildDir } from "./buildDir.js";
import { firstBuildError } from "./buildLog.js";

/**
 * The kernel did not compile: evidence about the variant (it is broken), and the run goes
 * on (tuxmake's FAIL). Not a UserError: the input was valid, the code does not build. A
 * host that ran out of disk or memory is an InfraError instead.
 */
export class BuildFailure extends Error {
  constructor(
    message: string,
    readonly hint: string,
    /** The first compiler or linker error line (file:line: message), when the log has one. */
    readonly firstError: string | undefined,
    readonly log: string,
  ) {
    super(message);
    this.name = "BuildFailure";
  }
}

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

export function imageKey(
  arch: Arch,
  tree: SourceTree,
  series: AppliedSeries,
  config: KernelConfig,
  toolchain: string,
): string {
  const patches = series.patches.map((p) => p.sha256);
  return sha256("kernel-image-v2", arch.name, tree.content, ...patches, config.sha256, toolchain);
}

/** make's arguments for the arch's boot image: a native build keeps the line it always had (no CROSS_COMPILE). */
export function makeArgs(
  arch: Arch,
  srcDir: string,
  buildDir: string,
  jobs: number,
  hostNode = process.arch,
): string[] {
  const cc = `ccache ${crossPrefix(arch, hostNode)}gcc`;
  return ["-C", srcDir, `O=${buildDir}`, ...makeArchVars(arch, hostNode), `-j${jobs}`, `CC=${cc}`, arch.target];
}

/** A cached image, if its metadata is whole and bzImage still has the hash recorded at store time. */
async function cachedImage(dir: string, progress: Progress): Promise<ImageMeta | undefined> {
  const meta = await readRecordIfExists(ImageMetaSchema, path.join(dir, "meta.json"), "image cache entry").catch(
    (err: Error) => {
      progress.info(`warning: ${err.message.split("\n")[0]}; rebuilding that image`);
      return undefined;
    },
  );
  const bzImage = path.join(dir, "bzImage");
  if (!meta || !(await exists(bzImage))) return undefined;
  if (meta.bzImageSha256 !== undefined && meta.bzImageSha256 === (await sha256File(bzImage))) return meta;
  // Altered, truncated, or stored before hashes were kept: rebuild rather than boot it.
  progress.info(`warning: cached image ${bzImage} does not match its recorded hash; rebuilding it`);
  await fs.rm(dir, { recursive: true, force: true });
  return undefined;
}

/** make's words for a host that ran out of something: not the kernel's fault, so not a verdict. */
const HOST_FAILURE = new RegExp(
  "No space left on device|Cannot allocate memory|virtual memory exhausted|" +
    "Killed signal terminated program|fatal error: Killed",
);

/**
 * Fixed build identity: the image depends on the inputs only, and ccache hits more. The
 * timestamp must be one `date -d` reads: usr/gen_initramfs.sh dates the built-in
 * initramfs with it, and uses the time of the build when it cannot. The version counter
 * (#N in uname -v) would otherwise count the builds made in this build directory.
 */
export const BUILD_IDENTITY = {
  KBUILD_BUILD_TIMESTAMP: "1970-01-01 00:00:00 UTC",
  KBUILD_BUILD_VERSION: "1",
  KBUILD_BUILD_USER: "kharness",
  KBUILD_BUILD_HOST: "kharness",
};

/** Run make, streaming its output to the log and its current step to the progress line; the objects it compiled. */
async function runMake(
  args: string[],
  env: Record<string, string>,
  command: string,
  logFile: string,
  progress: Progress,
): Promise<{ exitCode: number | undefined; signal: string | undefined; compiled: string[] }> {
  const log = createWriteStream(logFile);
  log.write(`# command: ${command}\n`);
  const compiled: string[] = [];
  // Its own process group, so an interrupt or kharness's death ends make's compilers with it.
  const proc = tool("make", args, { env, all: true, buffer: false, group: true });
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
  return { exitCode: result.exitCode, signal: result.signal, compiled };
}

/** Why make did not build: a compile error is the variant's (BROKEN); a kill, or a host out of resources, is not. */
async function makeFailure(
  r: { exitCode: number | undefined; signal: string | undefined },
  what: string,
  logFile: string,
  command: string,
): Promise<Error> {
  const log = await fs.readFile(logFile, "utf8");
  const tail = log.split("\n").slice(-30).join("\n");
  const first = firstBuildError(log);
  const headline =
    `kernel build failed (${howEnded(r)}) for ${what}: ` + (first ?? "no compiler or linker error line in the log");
  const message = `${headline}\nlast lines:\n${tail}`;
  // Killed by a signal kharness did not send (the OOM killer), or out of disk or memory: the host's doing.
  const killed = /kharness: make was killed by signal \d+ from outside kharness/.exec(log)?.[0];
  if (r.signal || killed || HOST_FAILURE.test(tail)) {
    const why = killed ? `: ${killed.replace("kharness: ", "")}` : r.signal ? ` (make was killed by ${r.signal})` : "";
    const hint = `free memory or disk space, then run again (the build directory is repaired first); see ${logFile}`;
    return new InfraError(`the host stopped the kernel build of ${what}${why}; ${message}`, hint);
  }
  return new BuildFailure(message, `see ${logFile}; reproduce with: ${command}`, first, logFile);
}

/** Copy a finished build's image into the cache, with what it took and its hash. */
async function storeImage(dir: string, arch: Arch, config: KernelConfig, meta: ImageMeta): Promise<void> {
  const bzImage = path.join(dir, "bzImage");
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(path.join(config.buildDir, arch.image), `${bzImage}.tmp`);
  await fs.rename(`${bzImage}.tmp`, bzImage);
  await fs.writeFile(path.join(dir, "config"), config.text);
  await writeJsonAtomic(path.join(dir, "meta.json"), { ...meta, bzImageSha256: await sha256File(bzImage) });
}

/**
 * make in a build directory made trustworthy first. The marker around it stays if make
 * did not end by itself (killed, interrupted), so the next build repairs the directory.
 */
async function makeInBuildDir(
  buildDir: string,
  args: string[],
  env: Record<string, string>,
  command: string,
  logFile: string,
  progress: Progress,
) {
  const repaired = await recoverBuildDir(buildDir);
  if (repaired) {
    const what = `removed the ${repaired.removed} file(s) it wrote, so make rebuilds them whole`;
    progress.info(`warning: ${buildDir} was left by a build that did not end (${repaired.marker}); ${what}`);
  }
  await markBuildStarted(buildDir, { pid: process.pid, startedAt: new Date().toISOString(), command });
  const result = await runMake(args, env, command, logFile, progress);
  if (result.exitCode !== undefined && !result.signal && !interruption()) await markBuildEnded(buildDir);
  return result;
}

/** The make a build runs, with its environment, and as one shell line (the record's, and --dry-run's). */
export function makeCommand(arch: Arch, tree: Pick<SourceTree, "dir">, config: Pick<KernelConfig, "buildDir">) {
  const args = makeArgs(arch, tree.dir, config.buildDir, os.cpus().length);
  // CCACHE_BASEDIR: absolute paths under the tree (an older kernel's srctree) hash as relative ones: see buildDirOf.
  const env = { CCACHE_DIR: path.join(cacheRoot(), "ccache"), CCACHE_BASEDIR: tree.dir, ...BUILD_IDENTITY };
  const command = shellQuote([...Object.entries(env).map(([k, v]) => `${k}=${v}`), "make", ...args]);
  return { args, env, command };
}

/**
 * Build bzImage out of tree with ccache. The build directory is shared by all variants of
 * one config, so after one variant only the files its patches touch recompile.
 */
export async function buildKernel(
  arch: Arch,
  tree: SourceTree,
  series: AppliedSeries,
  config: KernelConfig,
  toolchain: string,
  logFile: string,
  progress: Progress,
): Promise<KernelImage> {
  const key = imageKey(arch, tree, series, config, toolchain);
  const dir = path.join(buildRoot(), "images", key);
  const bzImage = path.join(dir, "bzImage");
  const { args, env, command } = makeCommand(arch, tree, config);
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const cached = await cachedImage(dir, progress);
  if (cached) {
    await fs.writeFile(logFile, `# cache hit: ${bzImage}\n# built by: ${command}\n`);
    return { key, bzImage, cached: true, durationMs: 0, command, compiled: cached.compiled };
  }

  const patchNames = series.patches.map((p) => p.name).join(" + ") || "no patches";
  progress.stage(`build ${tree.id} for ${arch.name} (${patchNames})`);
  const started = Date.now();
  const result = await makeInBuildDir(config.buildDir, args, env, command, logFile, progress);
  const durationMs = Date.now() - started;
  const sig = interruption();
  // make stopped by an interrupt says nothing about the kernel: no failed build is recorded.
  if (sig)
    throw new Interrupted(
      `${sig} during the build of ${tree.id} (${patchNames}); the build directory is repaired before its next use`,
    );
  if (result.exitCode !== 0) throw await makeFailure(result, `${tree.id} with ${patchNames}`, logFile, command);
  const { compiled } = result;
  await storeImage(dir, arch, config, { compiled, durationMs, command, patches: series.patches.map((p) => p.name) });
  progress.done(`built in ${(durationMs / 1000).toFixed(0)}s, ${compiled.length} objects compiled`);
  return { key, bzImage, cached: false, durationMs, command, compiled };
}
