import os from "node:os";
import path from "node:path";
import { makeArgs } from "../build/build.js";
import { shellQuote } from "../core/shell.js";
import { variantPatches, type LoadedScenario } from "../scenario/load.js";
import { describeSource } from "../source/registry.js";
import type { VmImplementation } from "../vm/types.js";

/**
 * What `run` would do, without doing it: each variant's patch series, the make command
 * and the QEMU command line (with placeholders for paths only known at run time).
 */
export function describeRun(loaded: LoadedScenario, variants: string[], vm: VmImplementation): string {
  const { scenario, kernel, arch } = loaded;
  const fragments = [...kernel.fragments, ...arch.fragments].join(", ");
  const lines = [`scenario ${scenario.name}: kernel ${kernel.name} for ${arch.name} from ${describeSource(kernel.source)}, base ${kernel.base}, fragments ${fragments}`];
  for (const v of variants) {
    lines.push(`\nvariant ${v}${v === scenario.baseline ? " (baseline)" : ""}: ${variantPatches(loaded, v).map((p) => path.basename(p)).join(" + ")}`);
    lines.push(`  build: ${shellQuote(["make", ...makeArgs(arch, "<source tree>", "<build dir>", os.cpus().length)])}`);
  }
  const it = "results/<run-id>/iterations/<variant>-<n>";
  lines.push(
    `\nper run (up to ${scenario.maxRuns} per variant, fewer once its verdict is decided):`,
    `  ${vm.command({
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
    })}`,
    "  (the accelerator is tcg or kvm after the KVM probe; the SSH port is a free one on 127.0.0.1)",
  );
  return lines.join("\n");
}
