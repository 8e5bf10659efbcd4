import { promises as fs } from "node:fs";
import path from "node:path";
import { crossPrefix, makeArchVars, type Arch } from "../core/arch.js";
import { tool, toolOutput } from "../core/exec.js";
import { throwIfInterrupted } from "../core/interrupt.js";
import { InfraError, UserError } from "../core/errors.js";
import { exists, writeFileAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { cacheRoot } from "../core/paths.js";
import type { Progress } from "../core/progress.js";
import { buildDirOf } from "../source/kinds.js";
import { patchTargets } from "../source/patches.js";
import type { AppliedSeries, SourceTree } from "../source/source.js";
import {
  describeProblems,
  parseKconfig,
  requirementsFromFragment,
  verifyKconfig,
  type ConfigRequirement,
} from "./kconfig.js";

export interface ConfigInputs {
  /** The target arch: make's ARCH and CROSS_COMPILE, and part of the cache key. */
  arch: Arch;
  /** Make target for the base config, e.g. tinyconfig. */
  base: string;
  /** The user's own .config (absolute path) to start from instead of `base`'s make target. */
  baseConfig?: string;
  /** Fragment paths: absolute, or `tree:<path>` inside the source tree. */
  fragments: string[];
  /** Options that must be =y, and who asks for them. */
  required: { option: string; from: string }[];
}

export interface KernelConfig {
  text: string;
  sha256: string;
  /** Out-of-tree build directory, shared by every variant with this config. */
  buildDir: string;
  fromCache: boolean;
}

/** The toolchain identity that goes into cache keys: a new gcc or binutils means a new image. */
export async function toolchainVersion(arch: Arch): Promise<string> {
  const prefix = crossPrefix(arch);
  const first = async (cmd: string, args: string[]) => {
    const hint = prefix
      ? `install Debian's cross compiler (package ${arch.cross.package}): kharness doctor --install`
      : "run `kharness doctor` and install what it lists";
    const r = await toolOutput(cmd, args, { hint });
    return r.stdout.split("\n")[0]!;
  };
  return [await first(`${prefix}gcc`, ["--version"]), await first(`${prefix}ld`, ["--version"])].join("; ");
}

async function fragmentText(tree: SourceTree, frag: string): Promise<{ name: string; file: string; text: string }> {
  const file = frag.startsWith("tree:") ? path.join(tree.dir, frag.slice(5)) : frag;
  try {
    return { name: frag.startsWith("tree:") ? frag : path.basename(frag), file, text: await fs.readFile(file, "utf8") };
  } catch {
    throw new UserError(
      `config fragment ${frag} cannot be read (${file})`,
      "fix the fragment path in the kernel recipe or scenario",
    );
  }
}

/** A cached config whose text still has the hash recorded beside it; an altered or cut one is made again. */
async function cachedConfig(file: string, progress: Progress): Promise<string | undefined> {
  if (!(await exists(file))) return undefined;
  const [text, recorded] = await Promise.all([
    fs.readFile(file, "utf8"),
    fs.readFile(`${file}.sha256`, "utf8").catch(() => ""),
  ]);
  if (recorded.trim() === sha256(text)) return text;
  progress.info(`warning: cached config ${file} does not match its recorded hash; making it again`);
  return undefined;
}

/** The text of the user's base .config; one that cannot be read is an input error naming it. */
async function baseConfigText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read the base config ${file}: ${(err as Error).message}`,
      "give --config the path of a kernel .config",
    );
  }
}

/**
 * base config (a make target, or the user's .config) + merge_config.sh + olddefconfig in a scratch build
 * directory; the resulting .config text.
 */
async function makeConfig(
  tree: SourceTree,
  arch: Arch,
  base: { target: string; text?: string },
  frags: { file: string }[],
  progress: Progress,
): Promise<string> {
  progress.stage(
    `config ${base.text === undefined ? base.target : "from your .config"} + ${frags.length} fragments (${arch.name})`,
  );
  const scratch = path.join(cacheRoot(), "configs", `scratch-${process.pid}`);
  await fs.rm(scratch, { recursive: true, force: true });
  await fs.mkdir(scratch, { recursive: true });
  const make = (args: string[]) =>
    tool("make", ["-C", tree.dir, `O=${scratch}`, ...makeArchVars(arch), ...args], { all: true, group: true });
  if (base.text !== undefined) await fs.writeFile(path.join(scratch, ".config"), base.text);
  const made = base.text === undefined ? await make([base.target]) : { exitCode: 0, all: "" };
  throwIfInterrupted("the config");
  if (made.exitCode !== 0)
    throw new UserError(
      `make ${base.target} failed in ${tree.dir}:
${made.all}`,
      "use a config target this kernel knows",
    );
  const merge = await tool(
    path.join(tree.dir, "scripts/kconfig/merge_config.sh"),
    ["-m", "-O", scratch, path.join(scratch, ".config"), ...frags.map((f) => f.file)],
    {
      cwd: scratch,
      all: true,
      group: true,
    },
  );
  if (merge.exitCode !== 0) {
    throw new UserError(
      `merge_config.sh failed on the fragments ${frags.map((f) => f.file).join(", ")}:\n${merge.all}`,
      "check the fragments' syntax (CONFIG_FOO=y or # CONFIG_FOO is not set, one per line)",
    );
  }
  throwIfInterrupted("the config");
  const olddef = await make(["olddefconfig"]);
  throwIfInterrupted("the config");
  if (olddef.exitCode !== 0) throw new InfraError(`make olddefconfig failed:\n${olddef.all}`);
  const text = await fs.readFile(path.join(scratch, ".config"), "utf8");
  await fs.rm(scratch, { recursive: true, force: true });
  progress.done("config ready");
  return text;
}

/**
 * tinyconfig (or another base) + fragments via the kernel's merge_config.sh + olddefconfig,
 * then a check that nothing the scenario or our fragments ask for was dropped. The result
 * is cached by its inputs, so a warm run reads .config without running make at all.
 */
export async function configureKernel(
  tree: SourceTree,
  series: AppliedSeries,
  inputs: ConfigInputs,
  toolchain: string,
  progress: Progress,
): Promise<KernelConfig> {
  const frags = await Promise.all(inputs.fragments.map((f) => fragmentText(tree, f)));
  // Only patches that touch Kconfig files can change the config: variants that differ in
  // C code share one cached config (and one build directory).
  const kconfigPatches = series.patches.filter((p) => patchTargets(p.text).some((f) => /(^|\/)Kconfig[^/]*$/.test(f)));
  const base = { target: inputs.base, ...(inputs.baseConfig && { text: await baseConfigText(inputs.baseConfig) }) };
  const fragParts = frags.flatMap((f) => [f.name, f.text]);
  const key = sha256(
    tree.content,
    inputs.arch.name,
    base.text ?? base.target,
    toolchain,
    ...fragParts,
    ...kconfigPatches.map((p) => p.sha256),
  );
  const cached = path.join(cacheRoot(), "configs", `${key}.config`);

  const cachedText = await cachedConfig(cached, progress);
  const text = cachedText ?? (await makeConfig(tree, inputs.arch, base, frags, progress));

  // Only our own fragments and the scenario's list are checked: in-tree fragments are
  // best effort by design (kvm_guest.config names options tinyconfig cannot reach).
  const reqs: ConfigRequirement[] = [
    ...frags.filter((f) => !f.name.startsWith("tree:")).flatMap((f) => requirementsFromFragment(f.text, f.file)),
    ...inputs.required.map((r) => ({ option: r.option, value: "y", from: r.from })),
  ];
  const problems = verifyKconfig(parseKconfig(text), reqs);
  if (problems.length > 0) {
    throw new UserError(
      `the final kernel config for ${tree.id} dropped ${problems.length} required option(s):\n` +
        describeProblems(problems),
      "add the options they depend on to the fragment (see `make menuconfig` -> search for the option's Depends on)",
    );
  }
  if (cachedText === undefined) {
    await writeFileAtomic(cached, text);
    await writeFileAtomic(`${cached}.sha256`, sha256(text));
  }

  const configSha = sha256(text);
  const config = {
    text,
    sha256: configSha,
    buildDir: buildDirOf(tree.dir, configSha, process.env.KHARNESS_BUILD_ROOT),
  };
  await writeBuildConfig(config);
  return { ...config, fromCache: cachedText !== undefined };
}

/**
 * The build directory holds the config's .config (written again for a build after its checks: a repair
 * of the build directory may have removed it).
 */
export async function writeBuildConfig(config: Pick<KernelConfig, "text" | "buildDir">): Promise<void> {
  await fs.mkdir(config.buildDir, { recursive: true });
  const current = await fs.readFile(path.join(config.buildDir, ".config"), "utf8").catch(() => "");
  // Rewriting an identical .config would bump its mtime and make kbuild re-sync the config.
  if (current !== config.text) await fs.writeFile(path.join(config.buildDir, ".config"), config.text);
}
