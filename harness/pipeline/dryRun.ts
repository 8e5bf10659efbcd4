import path from "node:path";
import { variantPatches, type LoadedScenario } from "../scenario/load.js";
import { describeSource } from "../source/registry.js";
import type { RunFile } from "../records/run.js";
import { describeDisk } from "../vm/disk.js";
import type { VmImplementation } from "../vm/types.js";
import { diskFormat } from "../workload/index.js";
import type { PreparedVariant } from "./kernel.js";

/**
 * What `run` would do, without doing it: each variant's patch series, the make command its
 * preparation by the input's checks holds (environment included), and the VM command line (with
 * placeholders, said to be ones, for what each boot picks when it starts).
 */
export function describeRun(
  loaded: LoadedScenario,
  run: Pick<RunFile, "cells" | "settings">,
  prepared: Map<string, PreparedVariant>,
  vm: VmImplementation,
): string {
  const { scenario, kernel, arch } = loaded;
  const source = describeSource(kernel.source);
  const fragments = [...kernel.fragments, ...arch.fragments].join(", ");
  const lines = [
    `scenario ${scenario.name}: kernel ${kernel.name} for ${arch.name} from ${source}, ` +
      `base ${kernel.base}, fragments ${fragments}`,
  ];
  for (const { variant: v, build } of run.cells) {
    const series =
      variantPatches(loaded, v)
        .map((p) => path.basename(p))
        .join(" + ") || "no patches";
    lines.push(`\nvariant ${v}${v === scenario.baseline ? " (baseline)" : ""}: ${series}`);
    lines.push(`  build: ${prepared.get(build)?.make ?? "none: its cell is finished"}`);
  }
  const it = "results/<run-id>/iterations/<variant>-<n>";
  const command = vm.command({
    arch,
    accel: { accel: "tcg", reason: "dry run", probedAt: "", hostKey: "" },
    cpus: scenario.vm.cpus,
    memoryMiB: scenario.vm.memoryMiB,
    kernel: "<bzImage>",
    initrd: "results/<run-id>/guest/initramfs.cpio",
    disk: `${it}/disk.img`,
    consoleLog: `${it}/console.log`,
    cmdline: scenario.vm.cmdline,
    key: { privateKey: "", publicKey: "" },
    hostPublicKey: "",
    readyMarker: "",
    bootTimeoutMs: scenario.vm.bootTimeoutSec * 1000,
  });
  lines.push(
    `\nper run (up to ${run.settings.maxRuns} per variant, fewer once its verdict is decided):`,
    `  ${command}`,
    `  disk: ${describeDisk(`${it}/disk.img`, scenario.vm.diskMiB, diskFormat(scenario.workload))}`,
    "  (placeholders in <>; each boot takes a free SSH port on 127.0.0.1; " +
      "the accelerator is tcg or kvm after the KVM probe)",
  );
  return lines.join("\n");
}
