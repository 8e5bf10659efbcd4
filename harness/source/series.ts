import { promises as fs } from "node:fs";
import path from "node:path";
import { tool } from "../core/exec.js";
import { InfraError, UserError } from "../core/errors.js";
import { exists, readJsonIfExists, writeJsonAtomic } from "../core/files.js";
import { sha256 } from "../core/hash.js";
import { describeInexact, extractHunk, parsePatchOutput, patchTargets, type PatchApplyReport } from "./patches.js";
import type { SourceOrigin } from "../records/run.js";

export interface SourceTree {
  /** Stable id of the directory (names its lock and build directories); see each source kind. */
  id: string;
  /**
   * What the pristine source holds, for cache keys: the id for a tarball, git:<tree object> for a commit,
   * dir:<hash> for a directory.
   */
  content: string;
  /** The tarball's sha256, the commit's hash, or the directory's content hash. */
  sourceHash: string;
  /** The tree that patches are applied to (one per source; variants take turns). */
  dir: string;
  /** What a developer calls this source (a commit, a Debian package version), when there is a name for it. */
  origin?: SourceOrigin;
}

export interface PatchFile {
  name: string;
  path: string;
  sha256: string;
  text: string;
}

export interface AppliedSeries {
  patches: PatchFile[];
  reports: PatchApplyReport[];
  /** Human lines for hunks that needed fuzz or an offset. */
  warnings: string[];
}

/** What the tree holds beyond pristine: originals saved before patching, so a series can be undone. */
interface TreeState {
  applied: string[];
  /** Relative path -> true when the original file existed (saved under .kharness/orig). */
  saved: Record<string, boolean>;
}

/** Kept inside the tree, so the state cannot outlive or miss the files it describes. */
const STATE_DIR = ".kharness";
const STATE = `${STATE_DIR}/state.json`;
const ORIG = `${STATE_DIR}/orig`;
const REPORTS = `${STATE_DIR}/reports.json`;
/** Each series applied since the tree was last pristine: its patched files, put back without running patch. */
const SERIES = `${STATE_DIR}/series`;

/** What a series left in the files it touched: relative path -> whether the file exists after it. */
interface SavedSeries {
  files: Record<string, boolean>;
  reports: PatchApplyReport[];
}

export async function readPatches(paths: string[]): Promise<PatchFile[]> {
  return Promise.all(
    paths.map(async (p) => {
      const text = await fs.readFile(p, "utf8");
      return { name: path.basename(p), path: p, sha256: sha256(text), text };
    }),
  );
}

async function readState(dir: string): Promise<TreeState> {
  return (await readJsonIfExists<TreeState>(path.join(dir, STATE))) ?? { applied: [], saved: {} };
}

/** Put every file a previous series touched back to its pristine content. */
async function restorePristine(dir: string, state: TreeState): Promise<void> {
  for (const [rel, existed] of Object.entries(state.saved)) {
    const target = path.join(dir, rel);
    // A copy gets a new mtime, so make rebuilds what the series had changed.
    if (existed) await fs.copyFile(path.join(dir, ORIG, rel), target);
    else await fs.rm(target, { force: true });
  }
  state.applied = [];
}

/**
 * Undo any series and forget it (the saved originals too): called before the pristine
 * source itself changes (another commit checked out, a directory copy refreshed), after
 * which the saved originals would be stale.
 */
export async function discardSeries(dir: string): Promise<void> {
  await restorePristine(dir, await readState(dir));
  await fs.rm(path.join(dir, STATE_DIR), { recursive: true, force: true });
}

async function runPatch(tree: SourceTree, patch: PatchFile, dryRun: boolean) {
  return tool(
    "patch",
    [
      "-p1",
      "--forward",
      "--batch",
      "--no-backup-if-mismatch",
      "-r",
      "-",
      ...(dryRun ? ["--dry-run"] : []),
      "-i",
      patch.path,
    ],
    {
      cwd: tree.dir,
      all: true,
    },
  );
}

const seriesDir = (dir: string, wanted: string[]) => path.join(dir, SERIES, sha256(...wanted).slice(0, 16));
const appliedSeries = (patches: PatchFile[], reports: PatchApplyReport[]) => ({
  patches,
  reports,
  warnings: reports.flatMap(describeInexact),
});

/**
 * Make the tree hold pristine source plus exactly `patches`, in order. Files are only
 * rewritten when the series changes, so make's timestamps keep the next build incremental.
 * Each series is applied once while the pristine source stays: when variants take turns on
 * the tree (checked, then built), a series applied before is put back from its saved files.
 */
export async function applySeries(tree: SourceTree, patches: PatchFile[]): Promise<AppliedSeries> {
  const state = await readState(tree.dir);
  const wanted = patches.map((p) => p.sha256);
  if (sameSeries(state.applied, wanted)) {
    // Already in place: the reports saved when it was applied still hold.
    return appliedSeries(patches, await keptReports(tree.dir, wanted));
  }
  await restorePristine(tree.dir, state);
  await writeJsonAtomic(path.join(tree.dir, STATE), state);
  const saved = await putBackSeries(tree.dir, state, wanted);
  if (saved) return appliedSeries(patches, saved.reports);
  const reports = await runSeries(tree, patches, state);
  await writeJsonAtomic(path.join(tree.dir, REPORTS), { applied: wanted, reports } satisfies KeptReports);
  await saveSeries(tree.dir, patches, reports);
  return appliedSeries(patches, reports);
}

/**
 * What GNU patch said of the series in place, named by the series: a kill between two writes never
 * lends one series another's reports.
 */
interface KeptReports {
  applied: string[];
  reports: PatchApplyReport[];
}

const sameSeries = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);

async function keptReports(dir: string, wanted: string[]): Promise<PatchApplyReport[]> {
  const kept = await readJsonIfExists<Partial<KeptReports>>(path.join(dir, REPORTS));
  return kept?.applied && sameSeries(kept.applied, wanted) ? (kept.reports ?? []) : [];
}

/** Apply each patch with GNU patch (a dry run first, so a failing one leaves the tree pristine). */
async function runSeries(tree: SourceTree, patches: PatchFile[], state: TreeState): Promise<PatchApplyReport[]> {
  const reports: PatchApplyReport[] = [];
  for (const patch of patches) {
    let targets: string[];
    try {
      targets = patchTargets(patch.text);
    } catch (err) {
      throw new UserError(
        `patch ${patch.path}: ${(err as Error).message}`,
        "give a unified diff made with diff -u or git format-patch",
      );
    }
    const dry = await runPatch(tree, patch, true);
    const report = parsePatchOutput(patch.name, dry.all ?? "");
    if (dry.exitCode !== 0 || report.failed) {
      await restorePristine(tree.dir, state);
      await writeJsonAtomic(path.join(tree.dir, STATE), { applied: [], saved: state.saved });
      const failed = report.hunks.find((h) => h.status === "failed");
      const hunk = failed ? extractHunk(patch.text, failed.file, failed.hunk) : undefined;
      const where = failed ? `hunk #${failed.hunk} of ${failed.file} (at line ${failed.line})` : "it";
      throw new UserError(
        `patch ${patch.path} does not apply to ${tree.id}: ${where} failed` +
          (hunk ? `\n--- the hunk ---\n${hunk}\n---` : `\n${dry.all ?? ""}`),
        `rebase ${patch.name} onto this source (after the patches before it in the series)`,
      );
    }
    for (const rel of targets) {
      if (rel in state.saved) continue;
      const src = path.join(tree.dir, rel);
      const existed = await exists(src);
      if (existed) {
        await fs.mkdir(path.dirname(path.join(tree.dir, ORIG, rel)), { recursive: true });
        await fs.copyFile(src, path.join(tree.dir, ORIG, rel));
      }
      state.saved[rel] = existed;
    }
    await writeJsonAtomic(path.join(tree.dir, STATE), state);
    const real = await runPatch(tree, patch, false);
    if (real.exitCode !== 0) {
      throw new InfraError(`patch ${patch.path} passed a dry run but failed to apply:\n${real.all ?? ""}`);
    }
    reports.push(report);
    state.applied.push(patch.sha256);
    await writeJsonAtomic(path.join(tree.dir, STATE), state);
  }
  return reports;
}

/** Keep the files a series just left (its record written last, so a half-saved series is never found). */
async function saveSeries(dir: string, patches: PatchFile[], reports: PatchApplyReport[]): Promise<void> {
  const to = seriesDir(
    dir,
    patches.map((p) => p.sha256),
  );
  await fs.rm(to, { recursive: true, force: true });
  const files: Record<string, boolean> = {};
  for (const rel of new Set(patches.flatMap((p) => patchTargets(p.text)))) {
    files[rel] = await exists(path.join(dir, rel));
    if (!files[rel]) continue;
    await fs.mkdir(path.dirname(path.join(to, "files", rel)), { recursive: true });
    await fs.copyFile(path.join(dir, rel), path.join(to, "files", rel));
  }
  await writeJsonAtomic(path.join(to, "series.json"), { files, reports } satisfies SavedSeries);
}

/**
 * Put a saved series back on the pristine tree: its files copied (new mtimes, so make
 * rebuilds them), those it removed removed. Undefined when the series was not saved, or
 * touches a file the tree's originals do not cover.
 */
async function putBackSeries(dir: string, state: TreeState, wanted: string[]): Promise<SavedSeries | undefined> {
  const from = seriesDir(dir, wanted);
  const saved = await readJsonIfExists<SavedSeries>(path.join(from, "series.json"));
  // restorePristine undoes only the files with saved originals: a series must stay within them.
  if (!saved || Object.keys(saved.files).some((rel) => !(rel in state.saved))) return undefined;
  for (const [rel, present] of Object.entries(saved.files)) {
    if (present) await fs.copyFile(path.join(from, "files", rel), path.join(dir, rel));
    else await fs.rm(path.join(dir, rel), { force: true });
  }
  await writeJsonAtomic(path.join(dir, REPORTS), { applied: wanted, reports: saved.reports } satisfies KeptReports);
  state.applied = wanted;
  await writeJsonAtomic(path.join(dir, STATE), state);
  return saved;
}
