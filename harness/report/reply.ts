/**
 * `kharness reply`: the plain-text answer to a patch on the list, as kernel developers
 * write one. Bottom-posted (it goes under the quoted patch), at most 75 columns, and with
 * trailers b4 collects only where kharness may give one: a Tested-by for a FIXED fix, by
 * a named human. Pure: the record and the verdicts in, the text out.
 */
import { UserError } from "../core/errors.js";
import type { CellRecord, KernelRecord, RunFile, SignatureRecord } from "../records/run.js";
import type { GroupResult } from "../verdict/groups.js";
import type { Verdict } from "../verdict/verdict.js";
import { groupBaselineText } from "./evidence.js";
import type { ReportModel } from "./model.js";

export const REPLY_WIDTH = 75;
/** Frames of a call trace in a reply: enough to see the path, short enough to read. */
const TRACE_FRAMES = 8;

export interface ReplyOptions {
  /** The fix (variant) answered; by default the one fix given on the command line, or the run's only fix. */
  fix?: string;
  /** "Name <mail>" of the human who tested; no Tested-by without one. */
  testedBy?: string;
}

/** A "Name <mail>" that a trailer can carry; anything else is refused, never guessed at. */
export function checkTester(text: string, from: string): string {
  const t = text.trim();
  if (!/^[^<>@\s][^<>@]*\s<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>$/.test(t)) {
    throw new UserError(
      `${from} "${text}" is not "Name <mail>"`,
      'give --tested-by "Your Name <you@example.org>", or set git config user.name and user.email',
    );
  }
  return t;
}

/** Words filled into lines of at most REPLY_WIDTH columns; every line after the first indented by `hang`. */
export function wrap(text: string, indent = "", hang = indent): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const lead = lines.length === 0 ? indent : hang;
    if (line.length > lead.length && line.length + 1 + word.length > REPLY_WIDTH) {
      lines.push(line);
      line = hang + word;
    } else line += (line.length > lead.length ? " " : "") + word;
  }
  return [...lines, line];
}

/** The group a reply answers for: a run is one group; a matrix has many and no one patch. */
function onlyGroup(model: ReportModel): GroupResult {
  const [group, ...more] = model.groups;
  if (!group || more.length > 0) {
    throw new UserError(
      `run ${model.run.id} has ${model.groups.length} groups (scenario, kernel and guest shape): ` +
        "a reply answers one patch on one kernel",
      "reply to a kharness run record (results/<run-id> of kharness run)",
    );
  }
  return group;
}

/** The verdict answered: the one asked for, or the only fix from the command line, or the run's only fix. */
function chosenVerdict(group: GroupResult, fix: string | undefined): Verdict {
  const names = group.verdicts.map((v) => v.fix);
  const fromCli = group.cells.filter((c) => c.fix).map((c) => c.variant);
  const name = fix ?? (fromCli.length === 1 ? fromCli[0] : names.length === 1 ? names[0] : undefined);
  const verdict = group.verdicts.find((v) => v.fix === name);
  if (!verdict) {
    const asked = fix ? `run has no fix "${fix}"` : `run has ${names.length} fixes and none was named`;
    throw new UserError(
      `${asked}; its fixes: ${names.join(", ") || "none"}`,
      `name one with --fix ${names[0] ?? "VARIANT"}`,
    );
  }
  return verdict;
}

/** The source, as a developer names it: a tree at a commit, or Debian's package at its version. */
function sourceLine(build: KernelRecord | undefined): string {
  const origin = build?.origin;
  if (origin?.kind === "git") return `${origin.tree} at ${origin.ref} (${origin.commit.slice(0, 12)})`;
  if (origin?.kind === "debian") return `Debian's ${origin.package} ${origin.version}`;
  return build?.source ?? "a source kharness did not record";
}

/** The patch answered: its mail's subject and Message-ID, its commit, or the scenario's variant and patch files. */
function patchLines(cell: CellRecord, build: KernelRecord | undefined): string[] {
  const fix = cell.fix;
  if (fix?.kind === "mail")
    return [...wrap(`"${fix.subject}"`, "  patch: ", "    "), ...(fix.messageId ? [`    <${fix.messageId}>`] : [])];
  if (fix?.kind === "commit") return wrap(`commit ${fix.commit.slice(0, 12)} ("${fix.subject}")`, "  patch: ", "    ");
  const files = build?.patches.map((p) => p.name).at(-1);
  return wrap(
    `${cell.variant}${cell.description ? `, ${cell.description}` : ""}${files ? ` (${files})` : ""}`,
    "  patch: ",
    "    ",
  );
}

/** What was tested, and how: base, patch, then arch, accelerator, vCPUs, config and workload in one paragraph. */
function testedLines(run: RunFile, group: GroupResult, cell: CellRecord): string[] {
  const build = run.builds[cell.build];
  const built = build?.status === "built" ? build : undefined;
  const base = run.builds[group.cells.find((c) => c.variant === group.baseline)?.build ?? ""];
  const under = base?.status === "built" ? base.patches.map((p) => p.name) : [];
  const config = built?.config
    ? `${built.config.base} + ${built.config.fragments.map((f) => f.split("/").at(-1)).join(", ")}`
    : "not recorded";
  const accel = run.accels?.[cell.arch]?.accel.toUpperCase() ?? "an accelerator not recorded";
  const how =
    `${cell.arch} under ${accel}, ${cell.cpus} vCPUs; config ${config}; ` +
    `workload ${cell.workload ?? "not recorded"}`;
  return [
    "What was tested:",
    ...wrap(sourceLine(built), "  base: ", "    "),
    ...(under.length ? wrap(under.join(", "), "  under the baseline's series: ", "    ") : []),
    ...patchLines(cell, built),
    ...wrap(how, "  how: ", "    "),
  ];
}

/** A report as a reader searches for it: syzkaller's title, then the top of its call trace. */
function reportLines(sig: SignatureRecord | undefined): string[] {
  if (!sig) return ["  (no report recorded)"];
  const frames = sig.frames.filter((f, i) => !(i === 0 && f.startsWith("dump_stack"))).slice(0, TRACE_FRAMES);
  return [
    ...wrap(sig.title, "  ", "    "),
    ...(frames.length ? ["  Call Trace:", ...frames.map((f) => `   ${f}`)] : []),
  ];
}

/** The baseline's first report: the primary of its first booted run that had one. */
function baselineReport(run: RunFile, group: GroupResult): SignatureRecord | undefined {
  const cell = group.cells.find((c) => c.variant === group.baseline);
  const primary = cell?.runs.find((r) => r.primary !== undefined)?.primary;
  return primary === undefined ? undefined : run.signatures[primary];
}

/**
 * What happened: the baseline's k/n and first report, the verdict in its own words, the report a NOT FIXED
 * fix leaves.
 */
function resultLines(run: RunFile, group: GroupResult, v: Verdict): string[] {
  const remaining = v.verdict === "NOT FIXED" ? run.signatures[v.remaining[0]?.signatures[0] ?? ""] : undefined;
  const others = group.verdicts.filter((o) => o.fix !== v.fix);
  return [
    ...wrap(
      `Without the patch (${group.baseline}): ${groupBaselineText(
        group.stats.find((s) => s.variant === group.baseline)!,
        v.confidence,
      )}. Its first report:`,
    ),
    "",
    ...reportLines(baselineReport(run, group)),
    "",
    ...wrap(`With the patch: ${v.verdict} - ${v.reason}.`),
    ...(remaining ? ["", "The report that remains:", "", ...reportLines(remaining)] : []),
    ...(others.length
      ? ["", "Also in this run:", ...others.flatMap((o) => wrap(`${o.fix}: ${o.verdict} - ${o.reason}.`, "  ", "    "))]
      : []),
  ];
}

/**
 * Trailers: Tested-by only for FIXED and only from a named human. A tag for another commit
 * goes behind "| ", as the kernel test robot writes it, so that b4 does not take it for this patch.
 */
function trailerLines(v: Verdict, testedBy: string | undefined): string[] {
  if (!testedBy) return [];
  if (v.verdict === "FIXED") return ["", `Tested-by: ${testedBy}`];
  if (v.verdict !== "NOT FIXED") return [];
  return [
    "",
    ...wrap("If you fix the remaining report in a separate commit (not a new version of this patch), kindly add:"),
    `| Reported-by: ${testedBy}`,
  ];
}

/**
 * Below the signature marker: b4 takes any "base-commit:" (and any "Name: x@y.z") line of
 * a follow-up's body as a trailer for the patch, and ignores what follows "-- ".
 */
function footerLines(run: RunFile, cell: CellRecord): string[] {
  const build = run.builds[cell.build];
  const origin = build?.status === "built" ? build.origin : undefined;
  return [
    "",
    "-- ",
    ...(origin?.kind === "git" ? [`base-commit: ${origin.commit}`] : []),
    ...wrap(`kharness run ${run.id}`),
  ];
}

/** The reply to one fix of a run, ready to paste under the quoted patch. */
export function replyText(model: ReportModel, opts: ReplyOptions = {}): string {
  const group = onlyGroup(model);
  const v = chosenVerdict(group, opts.fix);
  const cell = group.cells.find((c) => c.variant === v.fix)!;
  const { run } = model;
  const boots = (variant: string) => group.cells.find((c) => c.variant === variant)?.runs.length ?? 0;
  const lines = [
    ...wrap(
      `kharness booted the kernel without this patch ${boots(group.baseline)} time(s) ` +
        `and with it ${boots(v.fix)} time(s) in QEMU, each under a workload that stresses the bug, ` +
        "and read every lockdep, atomic-sleep and RCU report from the console.",
    ),
    "",
    ...testedLines(run, group, cell),
    "",
    ...resultLines(run, group, v),
    ...trailerLines(v, opts.testedBy),
    ...footerLines(run, cell),
  ];
  return `${lines.join("\n")}\n`;
}
