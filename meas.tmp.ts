// Boot-time measurement of the arm64 baseline under two TCG CPU models (not committed).
import { promises as fs } from "node:fs";
import path from "node:path";
import { ARCHES } from "./harness/core/arch.js";
import { silentProgress } from "./harness/core/progress.js";
import { guestRoot } from "./harness/image/guestRoot.js";
import { writeInitramfs } from "./harness/image/initramfs.js";
import { READY_MARKER } from "./harness/image/guestInit.js";
import { generateHostKey } from "./harness/image/hostKey.js";
import { vmImplementation } from "./harness/vm/registry.js";
import { generateRunKey } from "./harness/vm/ssh.js";

const [kernel, ...models] = process.argv.slice(2);
const dir = "/tmp/wt17-meas";
const key = generateRunKey();
const hostKey = await generateHostKey();
const initrd = path.join(dir, "initramfs.cpio");
await writeInitramfs(initrd, { guest: await guestRoot(ARCHES.arm64, silentProgress), authorizedKey: key.publicKey, hostKey: hostKey.dropbearKey });
const qemu = vmImplementation("qemu");
for (let round = 0; round < 3; round++) {
  for (const cpuModel of models) {
    const consoleLog = path.join(dir, `console-${cpuModel.replace(/[^a-z0-9]/g, "_")}-${round}.log`);
    const boot = await qemu.boot({ arch: ARCHES.arm64, accel: { accel: "tcg", cpuModel, reason: "", probedAt: "", hostKey: "" }, cpus: 4, memoryMiB: 1024, kernel: kernel!, initrd, consoleLog, cmdline: [], key, hostPublicKey: hostKey.publicKey, readyMarker: READY_MARKER, bootTimeoutMs: 240000 });
    if (!boot.ok) { console.log(cpuModel, "FAILED", boot.reason, boot.console.slice(-2000)); continue; }
    const t = Date.now();
    const r = await boot.vm.shell.exec("for i in 1 2 3 4 5; do echo 0 > /sys/devices/system/cpu/cpu1/online; echo 1 > /sys/devices/system/cpu/cpu1/online; done; dd if=/dev/zero of=/tmp/x bs=1M count=64 2>&1 | tail -1", 120000);
    console.log(`${cpuModel} boot ${boot.bootMs} ms; 5 toggles + 64M dd ${Date.now() - t} ms: ${r.stdout.trim()}`);
    await boot.vm.stop();
  }
}
