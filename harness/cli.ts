import { createReadStream, promises as fs, type ReadStream } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { formatError, UserError } from "./core/errors.js";
import { resultsRoot } from "./core/paths.js";
import { createProgress } from "./core/progress.js";
import { aptInstallLine, installMissing, runDoctor } from "./doctor.js";
import { runBisect, type BisectOptions } from "./bisect/command.js";
import { parseShard, type Shard } from "./matrix/expand.js";
import { mergeDirs } from "./matrix/merge.js";
import { matrixExitCode, runMatrix } from "./matrix/runMatrix.js";
import { readRunDir, reportModel } from "./report/model.js";
import { renderReport, REPORT_FILES, REPORT_FORMATS, writeReports, type ReportFormat } from "./report/write.js";
import { describeSplat } from "./parse/describe.js";
import { scanConsoleStream } from "./parse/parseConsole.js";
import { prepareVariantKernel } from "./run/kernel.js";
import { describeRun } from "./run/dryRun.js";
import { runScenario } from "./run/runScenario.js";
import { loadScenario } from "./scenario/load.js";
import type { Accel } from "./vm/qemu.js";

/** A log file as a stream, after checking it can be read, so a bad name is an input error that names it. */
async function openLog(file: string): Promise<ReadStream> {
  try {
    await fs.access(file, fs.constants.R_OK);
    if ((await fs.stat(file)).isDirectory()) throw new Error("it is a directory");
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, "give the path of a console or dmesg log, or - for standard input");
  }
  return createReadStream(file);
}

const program = new Command("kharness").description("Prove or disprove kernel locking bugs and their fixes in QEMU").showHelpAfterError();

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
};

program
  .command("run")
  .description("build every variant of a scenario, run each N times in QEMU, and judge the fixes against the baseline")
  .argument("<scenario>", "scenario name (scenarios/<name>) or path")
  .option("-n, --iterations <n>", "fresh boots per variant (default: the scenario's)", positiveInt)
  .option("--variant <name...>", "only these variants (the baseline always runs)")
  .option("--kernel <recipe>", "a kernel recipe other than the scenario's own (kernels/<recipe>.yaml)")
  .addOption(new Option("--accel <accel>", "skip the KVM probe and use this accelerator").choices(["kvm", "tcg"]))
  .option("--dry-run", "print the patch series, make and QEMU commands, and stop")
  .action(async (name: string, opts: { iterations?: number; variant?: string[]; kernel?: string; accel?: Accel; dryRun?: boolean }) => {
    if (opts.dryRun) {
      const loaded = await loadScenario(name, { ...(opts.kernel && { kernel: opts.kernel }) });
      const all = Object.keys(loaded.scenario.variants);
      console.log(describeRun(loaded, opts.variant ? all.filter((v) => v === loaded.scenario.baseline || opts.variant!.includes(v)) : all));
      return;
    }
    const { exitCode } = await runScenario(
      { scenario: name, ...(opts.kernel && { kernel: opts.kernel }), ...(opts.iterations && { iterations: opts.iterations }), ...(opts.variant && { variants: opts.variant }), ...(opts.accel && { accel: opts.accel }) },
      createProgress(),
    );
    process.exitCode = exitCode;
  });

program
  .command("bisect")
  .description("find the commit that brought a scenario's splat (or, with --fix, the one that removed it) with git bisect")
  .argument("[scenario]", "scenario name or path (its config, VM shape and workload; the commits bring the code)")
  .option("--tree <dir>", "kernel git tree (never modified: kharness bisects in its own shared clone)")
  .option("--good <rev>", "a revision without the splat")
  .option("--bad <rev>", "a revision with the splat")
  .option("--fix", "find the first commit without the splat (good is then newer than bad)")
  .option("--signature <sig>", "chase only this splat: a signature hash, a title, or 'title (via caller <- ...)'")
  .option("--confidence <p>", "how sure a clean commit must be, given the measured reproduction rate", parseFloat, 0.95)
  .option("--max-runs <n>", "at most this many VM runs per commit", positiveInt, 8)
  .addOption(new Option("--accel <accel>", "skip the KVM probe and use this accelerator").choices(["kvm", "tcg"]))
  .option("--resume <run-id>", "continue an interrupted bisection")
  .action(async (scenario: string | undefined, o: { tree?: string; good?: string; bad?: string; fix?: boolean; signature?: string; confidence: number; maxRuns: number; accel?: Accel; resume?: string }) => {
    if (o.resume) {
      process.exitCode = (await runBisect({ resumeId: o.resume }, createProgress())).exitCode;
      return;
    }
    const missing = [!scenario && "<scenario>", !o.tree && "--tree", !o.good && "--good", !o.bad && "--bad"].filter(Boolean);
    if (missing.length) throw new UserError(`bisect needs ${missing.join(", ")}`, "e.g. kharness bisect memcg-hotplug-lockdep --tree ~/linux --good v6.1 --bad HEAD");
    const options: BisectOptions = {
      scenario: scenario!,
      tree: path.resolve(o.tree!),
      good: o.good!,
      bad: o.bad!,
      direction: o.fix ? "fix" : "cause",
      ...(o.signature && { signature: o.signature }),
      confidence: o.confidence,
      maxRuns: o.maxRuns,
      ...(o.accel && { accel: o.accel }),
    };
    process.exitCode = (await runBisect({ options }, createProgress())).exitCode;
  });

program
  .command("matrix")
  .description("expand a matrix file into cells (scenario x kernel x variant x vCPUs x hotplug), run them, and write every report")
  .argument("<matrix-file>", "e.g. scenarios/nightly.yaml")
  .option("--jobs <n>", "VMs at once (default: from cores and free memory; the choice is printed)", positiveInt)
  .option("--shard <i/n>", "run only shard i of n (a deterministic block of whole groups)", (v: string) => {
    try {
      return parseShard(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  })
  .option("--resume <run-id>", "finish only the missing cells of an earlier run")
  .option("--run-id <id>", "name the results directory (e.g. from the CI job), instead of matrix-<name>-<time>")
  .addOption(new Option("--accel <accel>", "skip the KVM probe and use this accelerator").choices(["kvm", "tcg"]))
  .action(async (file: string, o: { jobs?: number; shard?: Shard; resume?: string; runId?: string; accel?: Accel }) => {
    const { dir, exitCode } = await runMatrix({ file, ...o }, createProgress());
    console.log(`reports: ${Object.values(REPORT_FILES).map((f) => path.join(dir, f)).join(", ")}`);
    process.exitCode = exitCode;
  });

program
  .command("merge")
  .description("merge the result directories of matrix shards into one run, and write its reports")
  .argument("<dir...>", "shard result directories (results/<run-id>)")
  .option("--out <dir>", "where the merged run goes (default: results/<first shard's id>-merged)")
  .action(async (dirs: string[], o: { out?: string }) => {
    const out = path.resolve(o.out ?? path.join(resultsRoot(), `${path.basename(dirs[0]!).replace(/-shard\d+of\d+$/, "")}-merged`));
    const merged = await mergeDirs(dirs, out);
    const files = await writeReports(out, merged);
    console.log(`merged ${dirs.length} shard(s), ${merged.cells.length} cell(s) into ${out}\n${files.join("\n")}`);
    process.exitCode = matrixExitCode(merged);
  });

program
  .command("report")
  .description("write the reports of a run or matrix directory again, in one format or all")
  .argument("<run-dir>", "results/<run-id>")
  .addOption(new Option("--format <format>", "one format (default: all)").choices([...REPORT_FORMATS]))
  .option("--stdout", "print the report instead of writing it")
  .action(async (dir: string, o: { format?: ReportFormat; stdout?: boolean }) => {
    const run = await readRunDir(dir);
    if (o.stdout) {
      process.stdout.write(renderReport(reportModel(run), o.format ?? "md"));
      return;
    }
    for (const f of await writeReports(dir, run, o.format ? [o.format] : REPORT_FORMATS)) console.log(f);
  });

program
  .command("build")
  .description("build one variant's kernel through the cache and print the image path")
  .argument("<scenario>", "scenario name or path")
  .option("--variant <name>", "variant to build (default: the baseline)")
  .option("--kernel <recipe>", "a kernel recipe other than the scenario's own")
  .action(async (name: string, opts: { variant?: string; kernel?: string }) => {
    const loaded = await loadScenario(name, { ...(opts.kernel && { kernel: opts.kernel }) });
    const variant = opts.variant ?? loaded.scenario.baseline;
    if (!(variant in loaded.scenario.variants)) {
      throw new UserError(`scenario ${name} has no variant "${variant}"`, `use one of: ${Object.keys(loaded.scenario.variants).join(", ")}`);
    }
    const k = await prepareVariantKernel(loaded, variant, path.join(resultsRoot(), "builds", `${variant}.log`), createProgress());
    console.log(k.image.bzImage);
  });

program
  .command("parse")
  .description("list the kernel reports (splats) in console or dmesg files; exit 1 when there is any")
  .argument("<file...>", "log files (- for standard input)")
  .option("--json", "one JSON object per file: {file, splats: [{title, altTitles, type, kind, frame, culprit, callPath, signature, corrupted, primary, startLine, endLine, frames}]}")
  .action(async (files: string[], opts: { json?: boolean }) => {
    let found = 0;
    const out = (text: string) => process.stdout.write(text);
    for (const f of files) {
      const input = f === "-" ? process.stdin : await openLog(f);
      // Each splat is written as soon as it is read: a huge log never sits in memory.
      let n = 0;
      if (opts.json) out(`{"file":${JSON.stringify(f)},"splats":[`);
      await scanConsoleStream(input, (s) => {
        if (opts.json) {
          const { lines: _lines, ...rest } = s;
          out(`${n > 0 ? "," : ""}${JSON.stringify(rest)}`);
        } else out(`${describeSplat(f, s)}\n`);
        n++;
      });
      if (opts.json) out("]}\n");
      found += n;
    }
    process.exitCode = found > 0 ? 1 : 0;
  });

program
  .command("doctor")
  .description("check every host requirement; with --install, apt-get install what is missing")
  .option("--install", "install missing Debian packages (root)")
  .action(async (opts: { install?: boolean }) => {
    let report = await runDoctor();
    for (const l of report.lines) console.log(l);
    if (report.missingPackages.length > 0 && opts.install) {
      await installMissing(report.missingPackages);
      report = await runDoctor();
    }
    if (report.missingPackages.length > 0) {
      console.log(`\nto install what is missing, as root:\n  apt-get update && ${aptInstallLine(report.missingPackages)}`);
      process.exitCode = 1;
    } else console.log("\nall requirements met");
  });

program.parseAsync().catch((err: unknown) => {
  console.error(formatError(err));
  process.exitCode = 2;
});
