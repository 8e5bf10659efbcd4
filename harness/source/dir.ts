import { constants, promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.js";
import { exists, readJsonIfExists, writeJsonAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { treeDir, type SourceContext, type SourceKind } from "./kinds.js";
import { discardSeries, type SourceTree } from "./series.js";

export const DirSpecSchema = z.strictObject({
  kind: z.literal("dir"),
  /** A kernel source directory: read, never written (patches go on kharness's copy). */
  path: z.string(),
});
export type DirSpec = z.infer<typeof DirSpecSchema>;

/** Relative path -> identity: "d" for a directory, "l:<target>" for a symlink, "f:<size>:<mtime>:<mode>" for a file. */
type Manifest = Record<string, string>;

async function treeId(spec: DirSpec): Promise<string> {
  const real = await fs.realpath(path.resolve(spec.path)).catch(() => {
    throw new UserError(`source directory ${spec.path} does not exist`, "give the path of a kernel source tree");
  });
  return `dir-${sha256(real).slice(0, 12)}`;
}

/** `make O=` refuses a source directory that holds an in-tree build; say so before copying. */
async function checkSourceDir(dir: string): Promise<void> {
  if (!(await exists(path.join(dir, "Makefile")))) {
    throw new UserError(
      `source directory ${dir} is not a kernel tree (no top-level Makefile)`,
      "give the top directory of a kernel source tree",
    );
  }
  for (const product of [".config", "include/config"]) {
    if (await exists(path.join(dir, product))) {
      throw new UserError(
        `source directory ${dir} holds an in-tree build (${product}): ` +
          "kharness builds out of tree, and make O= refuses such a tree",
        `run make mrproper in ${dir} or use --tree with a git ref`,
      );
    }
  }
}

/**
 * What is in `root`, by (path, type, size, mtime, mode): cheap to compute, and any edit changes it. .git is
 * left out.
 */
async function scan(root: string, rel = "", into: Manifest = {}): Promise<Manifest> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      if (e.name === ".git") return;
      const r = path.join(rel, e.name);
      const st = await fs.lstat(path.join(root, r));
      if (st.isSymbolicLink()) into[r] = `l:${await fs.readlink(path.join(root, r))}`;
      else if (st.isFile()) into[r] = `f:${st.size}:${st.mtimeMs}:${st.mode}`;
      else if (st.isDirectory()) into[r] = "d";
    }),
  );
  await Promise.all(
    entries.filter((e) => e.isDirectory() && e.name !== ".git").map((e) => scan(root, path.join(rel, e.name), into)),
  );
  return into;
}

/**
 * Make `to` a copy of `from` with the least writing: entries whose identity changed since
 * the last sync (`previous`) are copied, with a fresh mtime so make rebuilds them (an old
 * mtime could be older than their objects); entries gone from `from` are removed.
 */
async function syncCopy(from: string, to: string, previous: Manifest): Promise<Manifest> {
  const wanted = await scan(from);
  const gone = Object.keys(previous).filter((r) => !(r in wanted));
  for (const r of gone.sort().reverse()) await fs.rm(path.join(to, r), { recursive: true, force: true });
  for (const r of Object.keys(wanted).sort()) {
    const identity = wanted[r]!;
    if (previous[r] === identity) continue;
    const target = path.join(to, r);
    // Never write through what was there: it may be a symlink pointing out of the copy.
    if (previous[r] !== undefined) await fs.rm(target, { recursive: true, force: true });
    if (identity === "d") await fs.mkdir(target, { recursive: true });
    else if (identity.startsWith("l:")) await fs.symlink(identity.slice(2), target);
    // A reflink where the file system can, as cp --reflink=auto.
    else await fs.copyFile(path.join(from, r), target, constants.COPYFILE_FICLONE);
  }
  return wanted;
}

/** Refresh kharness's copy of the directory (pristine, no series) and name its content. */
async function prepare(spec: DirSpec, context: SourceContext): Promise<SourceTree> {
  const id = await treeId(spec);
  const from = path.resolve(spec.path);
  await checkSourceDir(from);
  const dir = treeDir(id);
  // Kept beside the copy: the manifest says what the copy holds. It is removed while the copy
  // changes, so an interrupted refresh starts over from an empty copy.
  const manifestFile = manifestFileOf(dir);
  const previous = (await exists(dir)) ? await readJsonIfExists<Manifest>(manifestFile) : undefined;
  await fs.rm(manifestFile, { force: true });
  if (previous) await discardSeries(dir);
  else await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });

  context.progress.stage(`copy ${from}`);
  const manifest = await syncCopy(from, dir, previous ?? {});
  await writeJsonAtomic(manifestFile, manifest);
  const contentHash = manifestHash(manifest);
  context.progress.done(`copied into ${dir}`);
  return { id, content: `dir:${contentHash}`, sourceHash: contentHash, dir };
}

const manifestFileOf = (copy: string) => path.join(path.dirname(copy), "manifest.json");
const manifestHash = (m: Manifest) =>
  sha256(
    JSON.stringify(
      Object.keys(m)
        .sort()
        .map((r) => [r, m[r]]),
    ),
  );

/**
 * The copy holds what its manifest says (a refresh removes it first), so the manifest's hash names the copy's
 * content.
 */
async function holds(_spec: DirSpec, tree: SourceTree): Promise<boolean> {
  const manifest = await readJsonIfExists<Manifest>(manifestFileOf(tree.dir));
  return manifest !== undefined && manifestHash(manifest) === tree.sourceHash;
}

/** A plain local kernel source directory, never modified: built from a copy kharness owns. */
export const dirSource: SourceKind<DirSpec> = {
  kind: "dir",
  schema: DirSpecSchema,
  treeId,
  prepare,
  holds,
  describe: (spec) => `directory ${spec.path}`,
};
