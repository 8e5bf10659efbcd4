import type { Workload } from "../scenario/schema.js";
import type { GuestShell } from "../vm/ssh.js";
import { runMemcgHotplug } from "./memcgHotplug.js";
import { outcomeOf, type WorkloadOutcome } from "./outcome.js";

/** Run the scenario's workload on a booted guest; every ending is a value. */
export async function runWorkload(shell: Pick<GuestShell, "exec">, w: Workload): Promise<WorkloadOutcome> {
  switch (w.kind) {
    case "memcg-writeback-hotplug":
      return runMemcgHotplug(shell, w);
    case "script": {
      const started = Date.now();
      return outcomeOf([await shell.exec(w.script, w.timeoutSec * 1000)], started, "", w.timeoutSec);
    }
  }
}
