import { promises as fs } from "node:fs";
import { tool } from "../core/exec.js";
import { InfraError } from "../core/errors.js";
import { writeFileAtomic } from "../core/files.js";
import { writeCpio, type CpioEntry } from "./cpio.js";
import { guestInit } from "./guestInit.js";

export interface GuestImageInputs {
  busybox: string;
  dropbear: string;
  /** OpenSSH-format public key that may log in as root. */
  authorizedKey: string;
  /** dropbear's ed25519 host key file (made on the host, so the guest generates none at boot). */
  hostKey: Buffer;
}

export const DEFAULT_GUEST_BINARIES = { busybox: "/bin/busybox", dropbear: "/usr/sbin/dropbear" };

/** Shared libraries (absolute paths, loader included) that `ldd` lists for a binary. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/** Every parent directory of the given paths, shallowest first. */
function parentDirs(files: string[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.replace(/^\/+/, "").split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...dirs].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}

/**
 * A hermetic initramfs: Debian's static busybox, dropbear with the libraries it links,
 * an init and root's authorized key. Nothing from the host root is mounted or booted.
 */
export async function buildInitramfs(inputs: GuestImageInputs): Promise<Buffer> {
  const ldd = await tool("ldd", [inputs.dropbear]);
  if (ldd.exitCode !== 0) throw new InfraError(`ldd ${inputs.dropbear} failed: ${ldd.stderr}`, "apt-get install dropbear-bin");
  const libs = parseLdd(ldd.stdout);
  const read = async (p: string) => {
    try {
      // Follow symlinks: the guest gets the real bytes at the path the loader asks for.
      return await fs.readFile(await fs.realpath(p));
    } catch (err) {
      throw new InfraError(`cannot read ${p} for the guest image: ${(err as Error).message}`, "run `kharness doctor`");
    }
  };
  const files: CpioEntry[] = [
    { type: "file", path: "bin/busybox", data: await read(inputs.busybox), mode: 0o755 },
    { type: "file", path: "usr/sbin/dropbear", data: await read(inputs.dropbear), mode: 0o755 },
    ...(await Promise.all(libs.map(async (l) => ({ type: "file" as const, path: l, data: await read(l), mode: 0o755 })))),
    { type: "file", path: "init", data: Buffer.from(guestInit()), mode: 0o755 },
    { type: "file", path: "etc/passwd", data: Buffer.from("root:x:0:0:root:/root:/bin/sh\n") },
    { type: "file", path: "etc/group", data: Buffer.from("root:x:0:\n") },
    { type: "file", path: "etc/shells", data: Buffer.from("/bin/sh\n") },
    { type: "file", path: "root/.ssh/authorized_keys", data: Buffer.from(`${inputs.authorizedKey.trim()}\n`), mode: 0o600 },
    { type: "file", path: "etc/dropbear/dropbear_ed25519_host_key", data: inputs.hostKey, mode: 0o600 },
  ];
  const dirs = parentDirs([...files.map((f) => f.path), "dev/x", "var/run/x", "proc/x", "sys/x", "tmp/x", "mnt/x", "sbin/x", "usr/bin/x", "root/.ssh/x"]);
  const entries: CpioEntry[] = [
    ...dirs.map((d): CpioEntry => ({ type: "dir", path: d, mode: d.startsWith("root") ? 0o700 : 0o755 })),
    { type: "chardev", path: "dev/console", major: 5, minor: 1 },
    { type: "chardev", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    ...files,
  ];
  return writeCpio(entries);
}

export async function writeInitramfs(file: string, inputs: GuestImageInputs): Promise<void> {
  await writeFileAtomic(file, await buildInitramfs(inputs));
}
