import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { tool } from "../core/exec.js";
import { InfraError, UserError } from "../core/errors.js";
import { interruption, throwIfInterrupted } from "../core/interrupt.js";
import { exists } from "../core/files.js";
import { sha256FileOnce } from "../core/hash.js";
import { cacheRoot } from "../core/paths.js";
import type { SourceOrigin } from "../records/run.js";
import type { SourceContext, SourceKind } from "./kinds.js";

export const TarballSpecSchema = z.strictObject({
  kind: z.literal("tarball"),
  path: z.string(),
  /** The Debian package that provides the tarball, for `doctor` and error hints. */
  package: z.string().optional(),
});
export type TarballSpec = z.infer<typeof TarballSpecSchema>;

async function checkedTarballHash(spec: TarballSpec, context: SourceContext): Promise<string> {
  if (!(await exists(spec.path))) {
    throw new UserError(
      `kernel recipe ${context.name}: source tarball ${spec.path} does not exist`,
      spec.package ? `apt-get install ${spec.package}` : `put the tarball at ${spec.path}`,
    );
  }
  // Hashing 140 MB costs about half a second: once per process and file version is enough.
  return sha256FileOnce(spec.path);
}

/** The installed version of the Debian package that provides the tarball: how a kernel developer names this source. */
async function debianOrigin(spec: TarballSpec): Promise<SourceOrigin | undefined> {
  if (!spec.package) return undefined;
  const q = await tool("dpkg-query", ["-W", "-f=${Version}", spec.package]);
  // A tarball put there by hand (no package installed) has no version to name; the path and hash still do.
  return q.exitCode === 0 && q.stdout ? { kind: "debian", package: spec.package, version: q.stdout.trim() } : undefined;
}

/** The id (and cache dir name) is `<recipe>-<sha12>`, as before the registry: caches stay warm. */
async function treeId(spec: TarballSpec, context: SourceContext): Promise<string> {
  return `${context.name}-${(await checkedTarballHash(spec, context)).slice(0, 12)}`;
}

/** Unpack the tarball once into the cache; later calls return the same tree (patches are undone by applySeries). */
async function prepare(spec: TarballSpec, context: SourceContext) {
  const tarball = spec.path;
  const tarballSha256 = await checkedTarballHash(spec, context);
  const id = await treeId(spec, context);
  const dir = path.join(cacheRoot(), "src", id);
  const origin = await debianOrigin(spec);
  const tree = { id, content: id, sourceHash: tarballSha256, dir, ...(origin && { origin }) };
  if (await exists(path.join(dir, "Makefile"))) return tree;

  context.progress.stage(`unpack ${path.basename(tarball)}`);
  const tmp = `${dir}.unpacking-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  // Debian's tarballs hold one top directory (linux-source-6.1/); strip it.
  // Its own process group: tar's xz decompressor dies with it on an interrupt.
  const untar = await tool("tar", ["-xf", tarball, "-C", tmp, "--strip-components=1"], { all: true, group: true });
  if (interruption()) await fs.rm(tmp, { recursive: true, force: true });
  throwIfInterrupted(`unpacking ${tarball} (the partial tree was removed)`);
  if (untar.exitCode !== 0) await fs.rm(tmp, { recursive: true, force: true });
  if (untar.exitCode !== 0)
    throw new InfraError(
      `tar could not unpack ${tarball}: ${(untar.all ?? "").slice(0, 500)}`,
      "check the disk space under the cache, and the tarball (apt-get install --reinstall)",
    );
  if (!(await exists(path.join(tmp, "Makefile")))) {
    throw new UserError(
      `${tarball} does not unpack to a kernel tree (no top-level Makefile)`,
      "give a kernel source tarball, e.g. Debian's linux-source",
    );
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  context.progress.done(`unpacked into ${dir}`);
  return tree;
}

/** A kernel source tarball (Debian's linux-source), unpacked once into the cache. */
export const tarballSource: SourceKind<TarballSpec> = {
  kind: "tarball",
  schema: TarballSpecSchema,
  treeId,
  prepare,
  // An unpacked tarball is never rewritten, only patched (and series are undone by applySeries).
  holds: (_spec, tree) => exists(path.join(tree.dir, "Makefile")),
  describe: (spec) => `tarball ${spec.path}`,
};
