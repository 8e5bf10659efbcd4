import { z } from "zod";
import { withFileLock } from "../core/lock.js";
import { schemasOf } from "../core/schemas.js";
import type { Progress } from "../core/progress.js";
import { dirSource } from "./dir.js";
import { gitSource } from "./git.js";
import { treeLockFile, type SourceKind } from "./kinds.js";
import type { SourceTree } from "./series.js";
import { tarballSource } from "./tarball.js";

/** Every source kind, one line each: a kind is a file exporting a SourceKind, plus its line here. */
export const SOURCE_KINDS = [tarballSource, gitSource, dirSource] as const;

/** A kernel recipe's `source:` (and what --tree/--ref make): one of the kinds' specs, chosen by `kind`. */
export const SourceSpecSchema = z.discriminatedUnion("kind", schemasOf(SOURCE_KINDS));
export type SourceSpec = z.infer<typeof SourceSpecSchema>;

/** A source with the name of the kernel recipe it belongs to (a KernelRecipe is one). */
export interface NamedSource {
  name: string;
  source: SourceSpec;
}

const byKind = new Map<string, SourceKind<{ kind: string }>>(
  SOURCE_KINDS.map((k) => [k.kind, k as SourceKind<{ kind: string }>]),
);

function kindOf(spec: SourceSpec): SourceKind<SourceSpec> {
  const kind = byKind.get(spec.kind);
  if (!kind) throw new Error(`no source kind "${spec.kind}" in SOURCE_KINDS`);
  // The kind was chosen by the spec's own `kind`, which TypeScript cannot correlate.
  return kind as SourceKind<SourceSpec>;
}

/**
 * The pristine tree of a source, with no series applied. The git and dir kinds rewrite their
 * tree here, so a caller that shares the tree with other processes uses withSourceTree.
 */
export function prepareSource(named: NamedSource, progress: Progress): Promise<SourceTree> {
  return kindOf(named.source).prepare(named.source, { name: named.name, progress });
}

/**
 * Prepare the source and run `use` on its tree while holding the tree's lock, so no other
 * kharness rewrites the tree between prepare, patching and build. A tree `prepared` earlier
 * (by the checks) is used as it is while it still holds that source, and prepared again
 * only when another run has changed it since.
 */
export async function withSourceTree<T>(
  named: NamedSource,
  progress: Progress,
  use: (tree: SourceTree) => Promise<T>,
  prepared?: SourceTree,
): Promise<T> {
  const kind = kindOf(named.source);
  const context = { name: named.name, progress };
  const id = prepared?.id ?? (await kind.treeId(named.source, context));
  return withFileLock(treeLockFile(id), `source tree ${id}`, progress, async () => {
    if (prepared && (await kind.holds(named.source, prepared))) return use(prepared);
    if (prepared)
      progress.info(
        `source tree ${id} holds other source than the checks left (another variant or run); preparing it again`,
      );
    return use(await kind.prepare(named.source, context));
  });
}

export function describeSource(spec: SourceSpec): string {
  return kindOf(spec).describe(spec);
}
