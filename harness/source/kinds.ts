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
  /** One line for humans: what the source is. */
  describe(spec: S): string;
}

/**
 * Where a non-tarball kind keeps the tree it owns (tarballs keep cacheRoot()/src/<id>, the
 * layout from before kinds existed, so those caches stay warm).
 *
 * ccache: a tree keeps one path for all its refs or refreshes, so its builds see the same
 * absolute paths and ccache hits with no CCACHE_BASEDIR. Across trees paths differ; ccache
 * rewrites paths under CCACHE_BASEDIR relative to the compiler's directory (the build
 * directory), so a hit across trees needs the source at the same relative path from every
 * build directory. With every tree at trees/<id>/src that holds once build directories
 * live beside their tree (trees/<id>/build-<config>): then CCACHE_BASEDIR=cacheRoot() in
 * build.ts would share ccache across trees. Today's build/<id>-<config> (config.ts) gives
 * ../../trees/<id>/src, which differs per tree, so BASEDIR is not set yet.
 */
export function treeDir(id: string): string {
  return path.join(cacheRoot(), "trees", id, "src");
}
