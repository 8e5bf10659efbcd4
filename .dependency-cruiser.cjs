/**
 * Architecture rules (npm run lint:deps). Layers, top to bottom: cli/commands ->
 * pipeline (today run, matrix, bisect put the stages together) -> stages -> records/core.
 * Imports point down only. Among the stages, a stage imports the stages upstream of it in
 * the data flow (build reads source and config; workload runs on a vm; report renders
 * parse and verdict), never one downstream.
 */
const STAGES = ["source", "config", "build", "image", "vm", "workload", "collect", "parse", "verdict", "report"];
const ORCHESTRATORS = "^harness/(cli\\.ts|doctor\\.ts|commands/|pipeline/|run/|matrix/|bisect/)";

/** One rule per stage: nothing from the stages after it. */
const upstreamOnly = STAGES.slice(0, -1).map((stage, i) => ({
  name: `stage-${stage}-imports-upstream-only`,
  comment: `${stage} comes before ${STAGES.slice(i + 1).join(", ")} in the pipeline; move what both need upstream (records, core)`,
  severity: "error",
  from: { path: `^harness/${stage}/` },
  to: { path: `^harness/(${STAGES.slice(i + 1).join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle means two modules are one; move the shared part (a type, a schema) below both",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-imports-no-harness",
      comment: "harness/core is the bottom layer: errors, files, paths, progress",
      severity: "error",
      from: { path: "^harness/core/" },
      to: { path: "^harness/", pathNot: "^harness/core/" },
    },
    {
      name: "records-import-only-core-and-zod",
      comment: "the on-disk record schemas sit below every writer and reader (node built-ins are fine: reading a record is I/O)",
      severity: "error",
      from: { path: "^harness/records/" },
      to: { dependencyTypesNot: ["core"], pathNot: "^(harness/(core|records)/|node_modules/zod/)" },
    },
    {
      name: "nothing-below-imports-the-orchestrators",
      comment: "stages, scenario, records and core never import the commands or the code that puts stages together",
      severity: "error",
      from: { path: "^harness/", pathNot: ORCHESTRATORS },
      to: { path: ORCHESTRATORS },
    },
    {
      name: "scenario-imports-only-inputs",
      comment: "the scenario schema is input: it composes the source kinds' and workload steps' schemas, and uses records and core",
      severity: "error",
      from: { path: "^harness/scenario/" },
      to: { path: "^harness/", pathNot: "^harness/(scenario|source|workload|records|core)/" },
    },
    ...upstreamOnly,
    {
      name: "bench-not-test",
      comment: "bench/ runs outside the test runner; shared helpers live in bench/support",
      severity: "error",
      from: { path: "^bench/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    // TypeScript 7 has no compiler API for dependency-cruiser to load; swc parses the .ts files.
    parser: "swc",
    // Type-only imports are dependencies too: a type cycle ties the modules as tightly.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
  },
};
