import { promises as fs } from "node:fs";
import path from "node:path";
import { howEnded, tool } from "../core/exec.js";
import { isHostArch, type Arch } from "../core/arch.js";
import { InfraError } from "../core/errors.js";
import { exists, writeFileAtomic } from "../core/files.js";
import { withFileLock } from "../core/lock.js";
import { sha256 } from "../core/hash.js";
import { cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";

/**
 * Where the guest's programs come from: a root directory holding Debian's static busybox and
 * dropbear with its libraries, at their Debian paths. On the host's own arch that is the
 * host's root (the packages doctor installs); on another arch, the same Debian packages of
 * that arch, downloaded with apt-get and unpacked with dpkg-deb into the cache, never installed.
 */
export interface GuestRoot {
  root: string;
  /** The Debian multiarch directory its libraries live in (lib/<multiarch>). */
  multiarch: string;
}

/** The packages the guest's programs come from; their dependencies are found by apt. */
export const GUEST_PACKAGES = ["busybox-static", "dropbear-bin"];
/** The programs, relative to the root. */
export const GUEST_PROGRAMS = { busybox: "bin/busybox", dropbear: "usr/sbin/dropbear" };

/** Package names in `apt-cache depends --recurse` output: its unindented lines, without virtual packages (<...>). */
export function parseDependsClosure(output: string): string[] {
  const names = output.split("\n").filter((l) => l !== "" && !/^\s/.test(l) && !l.startsWith("<"));
  return [...new Set(names)].sort();
}

async function apt(args: string[], cwd: string, arch: Arch): Promise<string> {
  const r = await tool(args[0]!, args.slice(1), { cwd, all: true });
  if (r.exitCode === 0) return r.stdout;
  throw new InfraError(
    `${args.join(" ")} failed (${howEnded(r)}) while fetching the ${arch.name} guest's busybox and dropbear:\n` +
      (r.all ?? "").slice(-2000),
    `let apt see ${arch.debian} packages (as root): kharness doctor --install, ` +
      `which runs dpkg --add-architecture ${arch.debian} and apt-get update`,
  );
}

/** Download the guest packages of a foreign arch with their dependencies and unpack them into `dir`. */
async function unpackPackages(arch: Arch, dir: string, progress: Progress): Promise<string[]> {
  const roots = GUEST_PACKAGES.map((p) => `${p}:${arch.debian}`);
  // Depends and Pre-Depends only, recursively: what the programs need to run.
  const skip = ["--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"];
  const closure = parseDependsClosure(await apt(["apt-cache", "depends", "--recurse", ...skip, ...roots], dir, arch));
  progress.detail(`apt-get download ${closure.join(" ")}`);
  const debs = path.join(dir, "debs");
  await fs.mkdir(debs, { recursive: true });
  await apt(["apt-get", "download", ...closure], debs, arch);
  const files = (await fs.readdir(debs)).filter((f) => f.endsWith(".deb")).sort();
  for (const f of files) await apt(["dpkg-deb", "-x", path.join(debs, f), path.join(dir, "root")], dir, arch);
  await fs.rm(debs, { recursive: true, force: true });
  return files;
}

/**
 * The guest root for an arch. A foreign arch's is made once per package set and kept in the
 * cache; its packages.txt (the .deb files it came from) is written last, so a root without it
 * was cut short and is made again.
 */
export async function guestRoot(arch: Arch, progress: Progress): Promise<GuestRoot> {
  if (isHostArch(arch)) return { root: "/", multiarch: arch.multiarch };
  const key = sha256(arch.debian, ...GUEST_PACKAGES).slice(0, 12);
  const dir = path.join(cacheRoot(), "guest-root", `${arch.debian}-${key}`);
  const done = path.join(dir, "packages.txt");
  // Two runs that start together make it once: the second waits, then finds it done.
  await withFileLock(
    path.join(cacheRoot(), "locks", `guest-root-${path.basename(dir)}.lock`),
    `the ${arch.name} guest root`,
    progress,
    async () => {
      if (await exists(done)) return;
      progress.stage(`guest programs for ${arch.name}: Debian's ${arch.debian} ${GUEST_PACKAGES.join(", ")}`);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
      const files = await unpackPackages(arch, dir, progress);
      await writeFileAtomic(done, `${files.join("\n")}\n`);
      progress.done(`unpacked ${files.length} packages into ${dir}`);
    },
  );
  return { root: path.join(dir, "root"), multiarch: arch.multiarch };
}
