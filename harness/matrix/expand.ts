/** Matrix expansion, sharding and cell identity: pure functions over the matrix's axes. */
import type { ArchName } from "../core/arch.js";
import type { CellRecord } from "../records/run.js";

export interface CellKey {
  scenario: string;
  kernel: string;
  arch: ArchName;
  variant: string;
  cpus: number;
  hotplug: boolean;
}

/** The cells that are judged together: one scenario on one kernel, one arch and one guest shape. */
export interface GroupKey {
  scenario: string;
  kernel: string;
  arch: ArchName;
  cpus: number;
  hotplug: boolean;
}

export function groupId(g: GroupKey): string {
  return `${g.scenario}/${g.kernel}/${g.arch}/cpus${g.cpus}/hotplug-${g.hotplug ? "on" : "off"}`;
}

export function cellId(c: CellKey): string {
  return `${groupId(c)}/${c.variant}`;
}

/** A scenario as the expansion needs it: its variants (baseline first) and kernels. */
export interface ScenarioAxes {
  name: string;
  baseline: string;
  variants: string[];
}

/** Cells to leave out: a cell is left out when it has every field the pattern names. */
export type CellPattern = Partial<Pick<CellKey, "kernel" | "arch" | "cpus" | "hotplug">>;

export interface MatrixAxes {
  scenarios: ScenarioAxes[];
  kernels: string[];
  arches: ArchName[];
  variants?: string[];
  cpus: number[];
  hotplug: boolean[];
  exclude?: CellPattern[];
}

export function matchesPattern(c: CellKey, p: CellPattern): boolean {
  return (Object.keys(p) as (keyof CellPattern)[]).every((k) => p[k] === c[k]);
}

/**
 * Every cell of scenarios x kernels x arches x variants x cpus x hotplug, in a stable order
 * that keeps one kernel's cells for one arch together (so a shard builds few kernels).
 */
export function expandCells(axes: MatrixAxes): CellKey[] {
  const cells: CellKey[] = [];
  for (const kernel of axes.kernels) {
    for (const arch of axes.arches) {
      for (const s of axes.scenarios) {
        const variants = s.variants.filter((v) => v === s.baseline || !axes.variants || axes.variants.includes(v));
        for (const cpus of axes.cpus) {
          for (const hotplug of axes.hotplug) {
            for (const variant of variants) cells.push({ scenario: s.name, kernel, arch, variant, cpus, hotplug });
          }
        }
      }
    }
  }
  return cells.filter((c) => !(axes.exclude ?? []).some((p) => matchesPattern(c, p)));
}

export interface Shard {
  index: number;
  count: number;
}

/** "2/4" -> { index: 2, count: 4 }; 1-based, as CI job matrices count. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new Error(`"${text}" is not a shard I/N with 1 <= I <= N (e.g. 2/4)`);
  return { index, count };
}

/**
 * Shard I of N: a contiguous block of the cells, so a kernel's cells (and builds) mostly
 * stay in one shard, with groups kept whole so each shard can judge its own fixes.
 */
export function shardCells<T extends CellKey>(cells: T[], shard: Shard): T[] {
  const groups: T[][] = [];
  for (const c of cells) {
    const last = groups.at(-1);
    if (last && groupId(last[0]!) === groupId(c)) last.push(c);
    else groups.push([c]);
  }
  const from = Math.floor(((shard.index - 1) * groups.length) / shard.count);
  const to = Math.floor((shard.index * groups.length) / shard.count);
  return groups.slice(from, to).flat();
}

/** A cell not run yet: `build` names the kernel it boots (several cells can share one). */
export function newCell(
  key: CellKey,
  baseline: string,
  maxRuns: number,
  build: string,
  about: Pick<CellRecord, "description" | "workload"> = {},
): CellRecord {
  const { description, workload } = about;
  return {
    ...key,
    id: cellId(key),
    group: groupId(key),
    baseline,
    ...(description && { description }),
    ...(workload && { workload }),
    maxRuns,
    status: "pending",
    build,
    runs: [],
  };
}

/** The key of a cell's kernel build: scenario, kernel recipe, arch, variant. */
export const buildKey = (c: Pick<CellKey, "scenario" | "kernel" | "arch" | "variant">) =>
  `${c.scenario}/${c.kernel}/${c.arch}/${c.variant}`;
