import { promises as fs } from "node:fs";
import path from "node:path";
import { silentProgress } from "../../harness/core/progress.js";
import { writeJsonAtomic } from "../../harness/core/files.js";
import { runPool } from "../../harness/pipeline/cells.js";
import { prepareGuest } from "../../harness/pipeline/guest.js";
import { loadedKey, cellsOfRun } from "../../harness/pipeline/runRecord.js";
import { scenarioRunFile } from "./runFile.js";
import type { BuildRecord, FixOrigin, RunFile, SourceOrigin } from "../../harness/records/run.js";
import { loadScenario, variantPatches } from "../../harness/scenario/load.js";
import type { VmSpec } from "../../harness/vm/types.js";
import { fakeVm, fixture, type FakeBoot } from "../fakes/fakeVm.js";

/** Each variant's kernel replays the console this harness captured from that kernel on 6.1. */
const CONSOLES: Record<string, string> = {
  before: fixture("linux-6.1-memcg/before-console.log"),
  "fix-reorder": fixture("linux-6.1-memcg/fix-reorder-console.log"),
  "fix-drop-lock": fixture("linux-6.1-memcg/fix-drop-lock-console.log"),
};

export const DEBIAN_6_1: SourceOrigin = { kind: "debian", package: "linux-source-6.1", version: "6.1.192-3" };

/** The build record the run's kernel would have had, from the scenario's series and the recipe's config. */
function builtRecord(key: string, variant: string, patches: string[], origin: SourceOrigin): BuildRecord {
  return {
    status: "built",
    scenario: "memcg-hotplug-lockdep",
    kernel: "linux-6.1",
    arch: "x86_64",
    variant,
    sourceId: "linux-6.1-0123456789ab",
    sourceHash: origin.kind === "git" ? origin.commit : "0123456789ab",
    source: origin.kind === "git" ? `git ${origin.tree} at ${origin.ref}` : "tarball /usr/src/linux-source-6.1.tar.xz",
    patches: patches.map((p) => ({ name: path.basename(p), sha256: "", path: p })),
    patchWarnings: [],
    origin,
    config: {
      base: "tinyconfig",
      fragments: [
        "tree:kernel/configs/kvm_guest.config",
        "fragments/guest.config",
        "fragments/debug-locking.config",
        "fragments/arch/x86_64.config",
      ],
    },
    configSha256: "",
    imageKey: key,
    toolchain: "gcc (Debian 12.2.0-14) 12.2.0; GNU ld (GNU Binutils for Debian) 2.40",
    cached: true,
    buildMs: 0,
    compiledObjects: 0,
    buildLog: `builds/${variant}.log`,
    command: "",
  };
}

/**
 * The README's default run, recorded: the memcg scenario's three variants on 6.1 through the
 * real cell runner, each boot replaying its kernel's real console, until every verdict is
 * decided; written to `dir`/run.json. `fix` marks fix-drop-lock as a fix given on the command line.
 */
export async function recordedRun(dir: string, o: { origin?: SourceOrigin; fix?: FixOrigin } = {}): Promise<RunFile> {
  const loaded = await loadScenario("memcg-hotplug-lockdep");
  loaded.scenario.workload.tailSec = 0;
  const cells = cellsOfRun(loaded, Object.keys(loaded.scenario.variants), 12).map((c) =>
    o.fix && c.variant === "fix-drop-lock" ? { ...c, fix: o.fix } : c,
  );
  const run = scenarioRunFile(loaded, dir, 12, cells);
  const vm = fakeVm((spec: VmSpec): FakeBoot => ({ boot: "ok", console: CONSOLES[spec.kernel]! }));
  await fs.mkdir(dir, { recursive: true });
  const guest = await prepareGuest(dir, loaded.arch, "before", vm, silentProgress);
  run.accels = { x86_64: guest.accel };
  for (const c of cells)
    run.builds[c.build] = builtRecord(c.build, c.variant, variantPatches(loaded, c.variant), o.origin ?? DEBIAN_6_1);
  const images = new Map(cells.map((c) => [c.build, c.variant]));
  await runPool(
    { run, dir, scenarios: new Map([[loadedKey(loaded), loaded]]), jobs: 1, vm, save: async () => {} },
    images,
    new Map([[loaded.arch.name, guest]]),
    silentProgress,
  );
  run.status = "completed";
  await writeJsonAtomic(path.join(dir, "run.json"), run);
  return run;
}
