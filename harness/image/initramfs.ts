import { promises as fs } from "node:fs";
import path from "node:path";
import { howEnded, tool } from "../core/exec.js";
import { InfraError } from "../core/errors.js";
import { exists, writeFileAtomic } from "../core/files.js";
import { GUEST_PROGRAMS, type GuestRoot } from "./guestRoot.js";
import { writeCpio, type CpioEntry } from "./cpio.js";
import { guestInit } from "./guestInit.js";

export interface GuestImageInputs {
  /** Where busybox, dropbear and dropbear's libraries are read from (see guestRoot.ts). */
  guest: GuestRoot;
  /** OpenSSH-format public key that may log in as root. */
  authorizedKey: string;
  /** dropbear's ed25519 host key file (made on the host, so the guest generates none at boot). */
  hostKey: Buffer;
}

/** What `readelf -d -l` says a binary needs: its loader, and the sonames it links. */
export function parseReadelf(output: string): { interpreter?: string; needed: string[] } {
  const interpreter = /\[Requesting program interpreter: (\S+)\]/.exec(output)?.[1];
  const needed = [...output.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  return { ...(interpreter && { interpreter }), needed };
}

/**
 * A path inside `root` with its symlinks followed, inside root too (an absolute link target is
 * root-relative); root-relative.
 */
export async function realpathIn(root: string, p: string, hops = 0): Promise<string> {
  const parts = p.split("/").filter(Boolean);
  let cur = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = path.posix.join(cur, parts[i]!);
    const st = await fs.lstat(path.join(root, next)).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (hops > 40)
      throw new InfraError(`too many symlinks resolving ${p} in ${root}`, "check the guest root for a symlink loop");
    const target = await fs.readlink(path.join(root, next));
    return realpathIn(root, path.posix.resolve(cur, target, ...parts.slice(i + 1)), hops + 1);
  }
  return cur.slice(1);
}

async function readelf(file: string): Promise<{ interpreter?: string; needed: string[] }> {
  const r = await tool("readelf", ["-d", "-l", "-W", file]);
  if (r.exitCode !== 0)
    throw new InfraError(`readelf -d -l -W ${file} failed (${howEnded(r)}): ${r.stderr}`, "apt-get install binutils");
  return parseReadelf(r.stdout);
}

/**
 * The shared libraries (root-relative paths, loader included) a binary needs, and the ones
 * they need, found by soname in the guest root's library directories as the loader would:
 * from the ELF headers, so it works for a binary of any arch without running it.
 */
export async function sharedLibraries(guest: GuestRoot, binary: string): Promise<string[]> {
  const dirs = [`lib/${guest.multiarch}`, `usr/lib/${guest.multiarch}`, "lib", "usr/lib"];
  // By real file: libc's NEEDED ld-linux is the loader already mapped from PT_INTERP's path, not a second copy.
  const found = new Map<string, string>();
  const queue = [binary];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const { interpreter, needed } = await readelf(path.join(guest.root, await realpathIn(guest.root, file)));
    const libs = await Promise.all(needed.map((n) => findLibrary(guest, dirs, n)));
    const wanted = [...(interpreter ? [interpreter.slice(1)] : []), ...libs];
    for (const lib of wanted) {
      const real = await realpathIn(guest.root, lib);
      if (found.has(real)) continue;
      found.set(real, lib);
      queue.push(lib);
    }
  }
  return [...found.values()];
}

async function findLibrary(guest: GuestRoot, dirs: string[], soname: string): Promise<string> {
  for (const d of dirs) if (await exists(path.join(guest.root, d, soname))) return path.posix.join(d, soname);
  throw new InfraError(
    `the guest's dropbear needs ${soname}, which is in none of ${dirs.join(", ")} under ${guest.root}`,
    "run `kharness doctor`",
  );
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
  const { root } = inputs.guest;
  const libs = await sharedLibraries(inputs.guest, GUEST_PROGRAMS.dropbear);
  const read = async (p: string) => {
    try {
      // Follow symlinks: the guest gets the real bytes at the path the loader asks for.
      return await fs.readFile(path.join(root, await realpathIn(root, p)));
    } catch (err) {
      throw new InfraError(
        `cannot read ${p} in ${root} for the guest image: ${(err as Error).message}`,
        "run `kharness doctor`",
      );
    }
  };
  const files: CpioEntry[] = [
    { type: "file", path: "bin/busybox", data: await read(GUEST_PROGRAMS.busybox), mode: 0o755 },
    { type: "file", path: "usr/sbin/dropbear", data: await read(GUEST_PROGRAMS.dropbear), mode: 0o755 },
    ...(await Promise.all(
      libs.map(async (l) => ({ type: "file" as const, path: l, data: await read(l), mode: 0o755 })),
    )),
    { type: "file", path: "init", data: Buffer.from(guestInit()), mode: 0o755 },
    { type: "file", path: "etc/passwd", data: Buffer.from("root:x:0:0:root:/root:/bin/sh\n") },
    { type: "file", path: "etc/group", data: Buffer.from("root:x:0:\n") },
    { type: "file", path: "etc/shells", data: Buffer.from("/bin/sh\n") },
    {
      type: "file",
      path: "root/.ssh/authorized_keys",
      data: Buffer.from(`${inputs.authorizedKey.trim()}\n`),
      mode: 0o600,
    },
    { type: "file", path: "etc/dropbear/dropbear_ed25519_host_key", data: inputs.hostKey, mode: 0o600 },
  ];
  const dirs = parentDirs([
    ...files.map((f) => f.path),
    "dev/x",
    "var/run/x",
    "proc/x",
    "sys/x",
    "tmp/x",
    "mnt/x",
    "sbin/x",
    "usr/bin/x",
    "root/.ssh/x",
  ]);
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
