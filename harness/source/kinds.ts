import { createHash } from "node:crypto";
import path from "node:path";
import type { z } from "zod";
import { cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import type { SourceTree } from "./series.js";

/** What a source kind needs besides its spec. */
export interface SourceContext {
  /** The kernel recipe's name: tarball tree ids start with it. */
  name: string;
  progress: Progress;
}

/**
 * One kind of kernel source (a tarball, a git ref, a directory). A kind is one file that
 * exports one of these, plus one line in SOURCE_KINDS (registry.ts).
 */
export interface SourceKind<S extends { kind: string }> {
  kind: S["kind"];
  /** The spec as written in a kernel recipe's `source:`: a strict object whose `kind` is a literal. */
  schema: z.ZodType<S> & z.core.$ZodTypeDiscriminable;
  /**
   * The id the prepared tree will have, without touching the tree, so a caller can take
   * the tree's lock before `prepare` rewrites it (git and dir kinds rewrite on each prepare).
   */
  treeId(spec: S, context: SourceContext): Promise<string>;
  /** Make the tree hold the spec's pristine source, with no series applied. */
  prepare(spec: S, context: SourceContext): Promise<SourceTree>;
  /**
   * Whether the tree still holds the source `prepare` made it hold, found without rewriting
   * it: false once another run has checked out another commit or refreshed the copy.
   */
  holds(spec: S, tree: SourceTree): Promise<boolean>;
  /** One line for humans: what the source is. */
  describe(spec: S): string;
}

/**
 * Where a non-tarball kind keeps the tree it owns (tarballs keep cacheRoot()/src/<id>, the
 * layout from before kinds existed, so those caches stay warm).
 */
export function treeDir(id: string): string {
  return path.join(cacheRoot(), "trees", id, "src");
}

/** The lock a tree's users take turns on (prepare, patching, build; a whole bisection). */
export function treeLockFile(id: string): string {
  return path.join(cacheRoot(), "locks", `${id}.lock`);
}

/**
 * The build directory of a tree for one .config: a direct child of the tree, in every kind.
 * ccache keys on the compiler's command line and the preprocessed text, which hold the
 * source's path: with O= a direct child, kbuild gives srctree as "..", so every tree's
 * command lines and line markers are the same and a second tree of the same code compiles
 * from ccache. (Kernels older than that rule give an absolute srctree; build.ts sets
 * CCACHE_BASEDIR to the tree, which turns those paths into the same "..".) Beside the
 * series state (.kharness/), and like it never part of the tree's content.
 */
export function buildDirOf(treeDir: string, configSha256: string, buildRoot?: string): string {
  // A build root of its own (KHARNESS_BUILD_ROOT: the kill-and-rebuild test) gets fresh directories,
  // still direct children.
  const own = buildRoot === undefined ? "" : `-${createHash("sha256").update(buildRoot).digest("hex").slice(0, 8)}`;
  return path.join(treeDir, `.kharness-build-${configSha256.slice(0, 12)}${own}`);
}
