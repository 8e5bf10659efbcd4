/**
 * The source stage: source kinds (registry.ts) prepare a pristine tree, and a patch series
 * (series.ts) is applied to it. Callers import from here.
 */
export { applySeries, discardSeries, readPatches, type AppliedSeries, type PatchFile, type SourceTree } from "./series.js";
export { describeSource, prepareSource, SOURCE_KINDS, SourceSpecSchema, withSourceTree, type NamedSource, type SourceSpec } from "./registry.js";
export type { SourceContext, SourceKind } from "./kinds.js";
