/**
 * The host's requirements as data (commands, packages, set-ups, disk space, kernel sources),
 * checked and installed for `kharness doctor` and harness/setup.sh.
 */
import { constants as fsConstants, promises as fs, statfsSync } from "node:fs";
import path from "node:path";
import { howEnded, tool } from "../core/exec.js";
import { InfraError } from "../core/errors.js";
import { cacheRoot, projectRoot } from "../core/paths.js";
import { loadKernelRecipe } from "../scenario/load.js";
import { AccelChoiceSchema } from "../records/common.js";
import { readRecordIfExists } from "../records/read.js";
import { archByName, isHostArch, type Arch } from "../core/arch.js";

/** A host requirement, as data: what to check, and which Debian package provides it. */
export interface Requirement {
  name: string;
  package?: string;
  check: () => Promise<string | true>;
  /** Extra facts for the ok line. */
  note?: () => Promise<string | undefined>;
  /** A command (as root) that sets up what no package install does, run before apt-get update. */
  setup?: string[];
}

/** Looked up in PATH here, not by a shell: every child kharness starts needs setpriv, which may be what is missing. */
const onPath = (cmd: string) => async () => {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  const found = await Promise.all(
    dirs.map((d) =>
      fs.access(path.join(d, cmd), fsConstants.X_OK).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.includes(true) || `${cmd} not on PATH`;
};
const file = (p: string) => async () =>
  (await fs.access(p).then(
    () => true,
    () => false,
  )) || `${p} missing`;

const MIN_FREE_GIB = 15;

export const REQUIREMENTS: Requirement[] = [
  // Every child (QEMU, make, git, ...) gets a parent-death signal through it: nothing outlives a killed kharness.
  { name: "setpriv (util-linux)", package: "util-linux", check: onPath("setpriv") },
  // Each arch's QEMU (and cross gcc) comes from archRequirements.
  { name: "gcc", package: "gcc", check: onPath("gcc") },
  { name: "make", package: "make", check: onPath("make") },
  { name: "flex", package: "flex", check: onPath("flex") },
  { name: "bison", package: "bison", check: onPath("bison") },
  { name: "bc", package: "bc", check: onPath("bc") },
  { name: "libelf headers (objtool)", package: "libelf-dev", check: file("/usr/include/gelf.h") },
  { name: "openssl headers", package: "libssl-dev", check: file("/usr/include/openssl/ssl.h") },
  { name: "ccache", package: "ccache", check: onPath("ccache") },
  { name: "cpio", package: "cpio", check: onPath("cpio") },
  { name: "mke2fs (a run's ext2 disk is made on the host)", package: "e2fsprogs", check: onPath("mke2fs") },
  // The libraries a guest's dropbear links are found from its ELF headers, for any arch.
  { name: "readelf (the guest's libraries)", package: "binutils", check: onPath("readelf") },
  { name: "patch", package: "patch", check: onPath("patch") },
  { name: "git (the git source kind, bisection, fixes from commits)", package: "git", check: onPath("git") },
  // The fault tests look for processes a run left behind with pgrep.
  { name: "pgrep (the fault tests)", package: "procps", check: onPath("pgrep") },
  { name: "xz", package: "xz-utils", check: onPath("xz") },
  {
    name: "static busybox",
    package: "busybox-static",
    check: async () => {
      const r = await tool("ldd", ["/bin/busybox"]);
      if (r.exitCode === 127 || /No such file/.test(r.stderr)) return "/bin/busybox missing";
      return (
        /not a dynamic executable|statically linked/.test(r.stdout + r.stderr) ||
        "/bin/busybox is not static (the busybox package is installed instead of busybox-static)"
      );
    },
  },
  { name: "dropbear", package: "dropbear-bin", check: file("/usr/sbin/dropbear") },
  { name: "shellcheck (lints the guest scripts in the tests)", package: "shellcheck", check: onPath("shellcheck") },
  // The HTML report is checked in a real headless browser by the tests.
  { name: "chromium (renders the HTML report in the tests)", package: "chromium", check: onPath("chromium") },
  // The reply test checks that b4 collects a FIXED reply's Tested-by, and no other line.
  { name: "b4 (reads kharness reply's trailers in the tests)", package: "b4", check: onPath("b4") },
  {
    name: "accelerator (whether KVM boots a guest is decided by a probe boot at run time)",
    // Not a requirement: without KVM, guests run under TCG, slower and still correct.
    check: async () => true,
    note: async () => {
      const usable = await fs.access("/dev/kvm", fs.constants.R_OK | fs.constants.W_OK).then(
        () => true,
        () => false,
      );
      const probe = await readRecordIfExists(
        AccelChoiceSchema,
        path.join(cacheRoot(), "accel.json"),
        "KVM probe cache entry",
      );
      return (
        (usable ? "/dev/kvm is usable" : "no usable /dev/kvm: guests run under TCG") +
        (probe ? `; last probe chose ${probe.accel}: ${probe.reason}` : "")
      );
    },
  },
  {
    name: `free disk in ${cacheRoot()} (>= ${MIN_FREE_GIB} GiB)`,
    check: async () => {
      await fs.mkdir(cacheRoot(), { recursive: true });
      const s = statfsSync(cacheRoot());
      const gib = (s.bavail * s.bsize) / 2 ** 30;
      return gib >= MIN_FREE_GIB || `only ${gib.toFixed(1)} GiB free; set KHARNESS_CACHE to a larger disk`;
    },
  },
];

/** Whether dpkg knows a foreign architecture and apt has its package lists, so apt-get can download its packages. */
const foreignArch = (debian: string) => async () => {
  const r = await tool("dpkg", ["--print-foreign-architectures"]);
  if (!r.stdout.split("\n").includes(debian))
    return `dpkg has no ${debian} architecture, so apt-get cannot download ${debian} packages`;
  const lists = await tool("apt-cache", ["show", `busybox-static:${debian}`]);
  if (lists.exitCode === 0) return true;
  return `apt has no ${debian} package lists yet (dpkg knows the architecture, but apt-get update has not run since)`;
};

/**
 * What an arch needs on this host: its QEMU; on another arch's host also Debian's cross gcc,
 * and the package lists of its Debian architecture, from which the guest's busybox and
 * dropbear are downloaded and unpacked (never installed).
 */
export function archRequirements(arch: Arch, hostNode: string = process.arch): Requirement[] {
  const qemu: Requirement = {
    name: `${arch.qemu} (${arch.name} guests)`,
    package: arch.qemuPackage,
    check: onPath(arch.qemu),
  };
  if (isHostArch(arch, hostNode)) return [qemu];
  const cc = `${arch.cross.prefix}gcc`;
  return [
    qemu,
    { name: `${cc} (builds ${arch.name} kernels)`, package: arch.cross.package, check: onPath(cc) },
    {
      name: `${arch.debian} package lists (the ${arch.name} guest's busybox and dropbear)`,
      check: foreignArch(arch.debian),
      setup: ["dpkg", "--add-architecture", arch.debian],
    },
  ];
}

/**
 * Every kernel recipe's source tarball (and the Debian package that provides it), and what each of its arches
 * needs.
 */
export async function recipeRequirements(kernelsDir = path.join(projectRoot, "kernels")): Promise<Requirement[]> {
  const names = (await fs.readdir(kernelsDir)).filter((f) => f.endsWith(".yaml")).sort();
  const recipes = await Promise.all(names.map((n) => loadKernelRecipe(path.join(kernelsDir, n))));
  const tarballs = recipes.flatMap(({ name, source }) =>
    source.kind === "tarball"
      ? [
          {
            name: `${name} source tarball`,
            ...(source.package && { package: source.package }),
            check: file(source.path),
          },
        ]
      : [],
  );
  const arches = [...new Set(recipes.flatMap((r) => r.arches))].map((a) => archByName(a, "a kernel recipe's arches"));
  return [...arches.flatMap((a) => archRequirements(a)), ...tarballs];
}

export interface DoctorReport {
  lines: string[];
  missingPackages: string[];
  /** Set-up commands (as root) for unmet requirements that have one. */
  setups: string[][];
  /** Problems no package fixes (disk space, KVM). */
  warnings: string[];
}

export async function runDoctor(reqs?: Requirement[]): Promise<DoctorReport> {
  reqs ??= [...REQUIREMENTS, ...(await recipeRequirements())];
  const lines: string[] = [];
  const missingPackages: string[] = [];
  const setups: string[][] = [];
  const warnings: string[] = [];
  for (const r of reqs) {
    const res = await r.check();
    if (res === true) {
      const note = await r.note?.();
      lines.push(`ok       ${r.name}${note ? `\n         ${note}` : ""}`);
    } else {
      lines.push(`MISSING  ${r.name}: ${res}${r.package ? ` (package ${r.package})` : ""}`);
      if (r.package) missingPackages.push(r.package);
      else if (r.setup) setups.push(r.setup);
      else warnings.push(`${r.name}: ${res}`);
    }
  }
  return { lines, missingPackages: [...new Set(missingPackages)], setups, warnings };
}

/** The commands that set up and install what is missing (as root): the set-ups, apt-get update, apt-get install. */
export function installCommands(report: Pick<DoctorReport, "missingPackages" | "setups">): string[][] {
  if (report.missingPackages.length === 0 && report.setups.length === 0) return [];
  const packages = report.missingPackages;
  const install = packages.length > 0 ? [["apt-get", "install", "-y", "--no-install-recommends", ...packages]] : [];
  return [...report.setups, ["apt-get", "update"], ...install];
}

/** Run the install commands, in order; the first that fails stops them, and the error names it. */
export async function installMissing(report: Pick<DoctorReport, "missingPackages" | "setups">): Promise<void> {
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const [cmd, ...args] of installCommands(report)) {
    const r = await tool(cmd!, args, { env, stdio: "inherit" });
    const line = [cmd, ...args].join(" ");
    if (r.exitCode !== 0) throw new InfraError(`${line} failed (${howEnded(r)})`, `run as root: ${line}`);
  }
}

/**
 * What `kharness doctor` says of a report: its lines, how to install what is missing, what no package fixes;
 * exit 1 when anything is unmet.
 */
export function doctorVerdict(report: DoctorReport): { text: string[]; exitCode: number } {
  const text = [...report.lines];
  const left = installCommands(report);
  if (left.length > 0)
    text.push(`\nto install what is missing, as root:\n  ${left.map((c) => c.join(" ")).join(" && ")}`);
  // Problems no package fixes (disk space) count as much as a missing package.
  if (report.warnings.length > 0) text.push(`\nnot met:\n${report.warnings.map((w) => `  ${w}`).join("\n")}`);
  if (left.length > 0 || report.warnings.length > 0) return { text, exitCode: 1 };
  return { text: [...text, "\nall requirements met"], exitCode: 0 };
}

/** Every requirement checked; with `install`, what is missing installed and everything checked again. */
export async function doctor(
  opts: { install?: boolean },
  reqs?: Requirement[],
): Promise<{ first: DoctorReport; last: DoctorReport }> {
  const first = await runDoctor(reqs);
  if (!opts.install || installCommands(first).length === 0) return { first, last: first };
  await installMissing(first);
  return { first, last: await runDoctor(reqs) };
}
