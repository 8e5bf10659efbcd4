import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { bisectCommand } from "./commands/bisect.js";
import { buildCommand } from "./commands/build.js";
import { doctorCommand } from "./commands/doctor.js";
import { matrixCommand } from "./commands/matrix.js";
import { parseCommand } from "./commands/parse.js";
import { replyCommand } from "./commands/reply.js";
import { mergeCommand, reportCommand } from "./commands/report.js";
import { dryRunCommand, runCommand } from "./commands/run.js";
import { formatError, UserError } from "./core/errors.js";
import { endLeftovers, killAllChildren } from "./core/children.js";
import { Interrupted, signalExitCode } from "./core/interrupt.js";
import { createProgress } from "./core/progress.js";
import { ARCH_NAMES, DEFAULT_ARCH } from "./core/arch.js";
import { parseShard } from "./matrix/expand.js";
import { refuseResumeChanges } from "./pipeline/resume.js";
import { REPORT_FILES, REPORT_FORMATS } from "./report/write.js";

/** The command line: options in, one call into commands/, an exit code out. */
// exitOverride: commander throws its errors instead of exiting 1, which means "a verdict differs";
// the catch below exits 2.
const program = new Command("kharness")
  .description("Prove or disprove kernel locking bugs and their fixes in QEMU")
  .showHelpAfterError()
  .exitOverride();

/** Commands that start children: first, end what a killed kharness left running (checked to be its own). */
const WORKERS = new Set(["run", "matrix", "bisect", "build"]);
program.hook("preAction", (_program, action) => {
  if (!WORKERS.has(action.name())) return;
  for (const line of endLeftovers()) console.error(`kharness: ${line}`);
});

// A closed terminal (SIGHUP) makes every later write to it fail; the run goes on to write its record and reports.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "EIO") throw err;
  });
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
};
const confidence = (v: string) => {
  const p = Number(v);
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError("must be a number between 0 and 1, e.g. 0.95");
  return p;
};
const residual = (v: string) => {
  const r = Number(v);
  if (!(r > 0 && r <= 1)) throw new InvalidArgumentError("must be a share of the bug's rate in (0, 1], e.g. 0.5");
  return r;
};
const CONFIDENCE_HELP =
  'how sure a verdict must be: FIXED rules out "the fix changes nothing" (or, with --residual, a partial fix) ' +
  "with this confidence over the whole sequential procedure; it does not rule out a partial fix below the residual";
const RESIDUAL_HELP =
  "FIXED must also rule out a fix that leaves this share of the bug's rate (0 < R <= 1; 1: no change at all); " +
  "smaller costs more runs";
const accelOption = () =>
  new Option("--accel <accel>", "skip the KVM probe and use this accelerator").choices(["kvm", "tcg"]);
const archOption = () =>
  new Option(
    "--arch <arch>",
    `the arch to build for and boot (default: ${DEFAULT_ARCH}); ` +
      "another than the host's is cross-built and runs under TCG",
  ).choices(ARCH_NAMES);

program
  .command("run")
  .description("build every variant of a scenario, run each N times in QEMU, and judge the fixes against the baseline")
  .argument("[scenario]", "scenario name (scenarios/<name>) or path")
  .option("--resume <run-id>", "go on with an interrupted run: its finished runs are kept")
  .option("--run-id <id>", "name the results directory, instead of <scenario>-<time>")
  .option(
    "-n, --max-runs <n>",
    "the most fresh boots per variant (default: the scenario's maxRuns); a variant stops once its verdict is decided",
    positiveInt,
  )
  .option("--confidence <p>", CONFIDENCE_HELP, confidence, 0.95)
  .option("--residual <r>", RESIDUAL_HELP, residual, 1)
  .option("--variant <name...>", "only these variants (the baseline always runs)")
  .option("--kernel <recipe>", "a kernel recipe other than the scenario's own (kernels/<recipe>.yaml)")
  .addOption(archOption())
  .option(
    "--tree <dir>",
    "build from your kernel git tree instead of the recipe's source " +
      "(kharness works in its own clone; your checkout is never touched)",
  )
  .option("--ref <rev>", "the revision of --tree to build (default: HEAD)")
  .option(
    "--fix <file...>",
    "a candidate fix (a patch, or an mbox saved from the list) as a variant on top of the baseline's series, " +
      "named after the file",
  )
  .option("--fix-commit <rev...>", "a commit of --tree as a candidate fix, on top of the baseline's series")
  .option(
    "--workload <step...>",
    "no scenario file: --tree at --ref is the baseline, each --fix a variant expected FIXED, " +
      "and the workload these steps, together (STEP[:key=value,...], e.g. hotplug:rounds=40)",
  )
  .option(
    "--require <options>",
    "with --workload: config options that must be =y, comma-separated (e.g. PROVE_LOCKING,DEBUG_ATOMIC_SLEEP)",
    (v: string) =>
      v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
  )
  .option(
    "--config <file>",
    "with --workload: your own .config as the base; the guest and debug-locking fragments go on top",
  )
  .option(
    "--save-scenario <dir>",
    "with --workload: write the scenario there (scenario.yaml, patches/), " +
      "to run again as kharness run <dir> --tree ...",
  )
  .addOption(accelOption())
  .option(
    "--dry-run",
    "check the input as a run does, then print the series, make (with its environment) and QEMU commands",
  )
  .action(async (scenario: string | undefined, o, cmd: Command) => {
    if (o.resume) {
      const given = [
        ...(scenario ? ["<scenario>"] : []),
        ...cmd.options.filter((opt) => cmd.getOptionValueSource(opt.attributeName()) === "cli").map((opt) => opt.long!),
      ];
      refuseResumeChanges(o.resume, given, ["--resume", "--accel", "--dry-run"]);
    }
    if (!scenario && !o.resume && !o.workload)
      throw new UserError(
        "run needs a <scenario>, --workload steps on --tree, or --resume <run-id>",
        "e.g. kharness run memcg-hotplug-lockdep, " +
          "or kharness run --tree ~/linux --fix fix.mbox --workload memcg-writer --workload hotplug",
      );
    const opts = { scenario: scenario ?? "", ...o, ...(o.variant && { variants: o.variant }) };
    if (o.dryRun) return console.log(await dryRunCommand(opts, createProgress()));
    process.exitCode = (await runCommand(opts, createProgress())).exitCode;
  });

program
  .command("bisect")
  .description(
    "find the commit that brought a scenario's splat (or, with --fix, the one that removed it) with git bisect",
  )
  .argument("[scenario]", "scenario name or path (its config, VM shape and workload; the commits bring the code)")
  .option("--tree <dir>", "kernel git tree (never modified: kharness bisects in its own shared clone)")
  .option("--good <rev>", "a revision without the splat")
  .option("--bad <rev>", "a revision with the splat")
  .option("--fix", "find the first commit without the splat (good is then newer than bad)")
  .option("--signature <sig>", "chase only this splat: a signature hash, a title, or 'title (via caller <- ...)'")
  .option(
    "--confidence <p>",
    "how sure a clean call must be: a commit is clean when its clean runs pass the verdicts' FIXED test " +
      "against the bad revision's runs, calibrated for the whole schedule",
    confidence,
    0.95,
  )
  .option("--max-runs <n>", "at most this many VM runs per commit", positiveInt, 8)
  .addOption(archOption())
  .addOption(accelOption())
  .option("--resume <run-id>", "continue an interrupted bisection")
  .action(async (scenario: string | undefined, o) => {
    if (o.resume)
      return void (process.exitCode = (await bisectCommand({ resumeId: o.resume }, createProgress())).exitCode);
    const missing = [!scenario && "<scenario>", !o.tree && "--tree", !o.good && "--good", !o.bad && "--bad"].filter(
      Boolean,
    );
    if (missing.length)
      throw new UserError(
        `bisect needs ${missing.join(", ")}`,
        "e.g. kharness bisect memcg-hotplug-lockdep --tree ~/linux --good v6.1 --bad HEAD",
      );
    const { fix, resume: _resume, tree, ...rest } = o;
    const options = {
      scenario: scenario!,
      tree: path.resolve(tree),
      ...rest,
      direction: fix ? ("fix" as const) : ("cause" as const),
    };
    process.exitCode = (await bisectCommand({ options }, createProgress())).exitCode;
  });

program
  .command("matrix")
  .description(
    "expand a matrix file into cells (scenario x kernel x arch x variant x vCPUs x hotplug), " +
      "run them, and write every report",
  )
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
  .option("--confidence <p>", CONFIDENCE_HELP, confidence, 0.95)
  .option("--residual <r>", RESIDUAL_HELP, residual, 1)
  .addOption(accelOption())
  .action(async (file: string, o) => {
    const { dir, exitCode } = await matrixCommand({ file, ...o }, createProgress());
    console.log(
      `reports: ${Object.values(REPORT_FILES)
        .map((f) => path.join(dir, f))
        .join(", ")}`,
    );
    process.exitCode = exitCode;
  });

program
  .command("merge")
  .description("merge the result directories of matrix shards into one run, and write its reports")
  .argument("<dir...>", "shard result directories (results/<run-id>)")
  .option("--out <dir>", "where the merged run goes (default: results/<first shard's id>-merged)")
  .action(async (dirs: string[], o) => void (process.exitCode = await mergeCommand(dirs, o)));

program
  .command("report")
  .description("write the reports of a run or matrix directory again, in one format or all")
  .argument("<run-dir>", "results/<run-id>")
  .addOption(new Option("--format <format>", "one format (default: all)").choices([...REPORT_FORMATS]))
  .option("--stdout", "print the report instead of writing it")
  .action((dir: string, o) => reportCommand(dir, o));

program
  .command("reply")
  .description(
    "the plain-text reply to a tested patch, for the mailing list: " +
      "what was tested, how, what happened, and the trailers",
  )
  .argument("<run>", "a run id (results/<run-id>) or its directory")
  .option(
    "--fix <variant>",
    "the fix answered (default: the one given with --fix or --fix-commit, or the run's only fix)",
  )
  .option(
    "--tested-by <who>",
    '"Name <mail>" for the Tested-by of a FIXED fix (default: git config user.name and user.email)',
  )
  .action(async (run: string, o) => {
    const { text, note } = await replyCommand(run, o);
    process.stdout.write(text);
    if (note) console.error(`kharness reply: ${note}`);
  });

program
  .command("build")
  .description("build one variant's kernel through the cache and print the image path")
  .argument("<scenario>", "scenario name or path")
  .option("--variant <name>", "variant to build (default: the baseline)")
  .option("--kernel <recipe>", "a kernel recipe other than the scenario's own")
  .addOption(archOption())
  .action((name: string, o) => buildCommand(name, o, createProgress()));

program
  .command("parse")
  .description("list the kernel reports (splats) in console or dmesg files; exit 1 when there is any")
  .argument("<file...>", "log files (- for standard input)")
  .option(
    "--json",
    "one JSON object per file: {file, splats: [{title, altTitles, type, kind, frame, culprit, callPath, " +
      "signature, corrupted, primary, startLine, endLine, frames}]}",
  )
  .action(async (files: string[], o) => void (process.exitCode = await parseCommand(files, o)));

program
  .command("doctor")
  .description("check every host requirement; with --install, apt-get install what is missing")
  .option("--install", "install missing Debian packages (root)")
  .action(async (o) => void (process.exitCode = await doctorCommand(o)));

program.parseAsync().catch((err: unknown) => {
  if (err instanceof Interrupted) {
    console.error(`kharness: interrupted: ${err.message}`);
    process.exitCode = signalExitCode(err.signal ?? "SIGINT");
    return;
  }
  // commander has printed its message (or the help, or the version, which exit 0).
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
    return;
  }
  console.error(formatError(err));
  // A failed run leaves no make or QEMU behind.
  killAllChildren();
  process.exitCode = 2;
});
