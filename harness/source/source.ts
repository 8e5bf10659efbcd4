/**
 * The source stage: source kinds (registry.ts) prepare a pristine tree, and a patch series
 * (series.ts) is applied to it; a fix can come from a mail (mbox.ts) or a commit
 * (commitPatch.ts). Callers import from here.
 */
export { applySeries, readPatches, type AppliedSeries, type PatchFile, type SourceTree } from "./series.js";
export {
  describeSource,
  prepareSource,
  SOURCE_KINDS,
  SourceSpecSchema,
  withSourceTree,
  type NamedSource,
  type SourceSpec,
} from "./registry.js";
export type { SourceContext, SourceKind } from "./kinds.js";
export { patchFromMail, variantNameFor, type MailPatch } from "./mbox.js";
export { patchFromCommit } from "./commitPatch.js";
