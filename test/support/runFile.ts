import path from "node:path";
import { projectRoot } from "../../harness/core/paths.js";
import { cellsOfRun, expectOf, loadedKey, newRunFile } from "../../harness/pipeline/runRecord.js";
import type { CellRecord, RunFile } from "../../harness/records/run.js";
import type { LoadedScenario } from "../../harness/scenario/load.js";

/**
 * A fresh `kharness run` record of a loaded scenario for the tests that drive the cell runner:
 * its cells (every variant by default), its expectations, and a fixed host of this machine kind.
 */
export function scenarioRunFile(loaded: LoadedScenario, dir: string, maxRuns: number, cells?: CellRecord[]): RunFile {
  return newRunFile({
    kind: "run",
    id: path.basename(dir),
    input: { name: loaded.scenario.name, file: path.relative(projectRoot, loaded.file), sha256: "x" },
    host: { hostname: "h", arch: "x86_64", cpus: 2, memoryMiB: 24000, node: "v20" },
    cells: cells ?? cellsOfRun(loaded, Object.keys(loaded.scenario.variants), maxRuns),
    expect: { [loadedKey(loaded)]: expectOf(loaded) },
    settings: { confidence: 0.95, maxRuns, residual: 1 },
  });
}
