import { parseConsole, type Splat } from "./parseConsole.js";

export interface SplatGroup {
  signature: string;
  /** How many reports with this signature the run printed. */
  count: number;
  /** The first report, as the representative. */
  first: Splat;
}

/**
 * One run's splats from its console and its dmesg. Both usually hold the same reports, so
 * each signature counts as often as the richer of the two saw it, never the sum.
 */
export function splatsOfRun(console: string, dmesg?: string): SplatGroup[] {
  const groups = new Map<string, SplatGroup>();
  for (const text of [console, dmesg ?? ""]) {
    const local = new Map<string, SplatGroup>();
    for (const s of parseConsole(text)) {
      const g = local.get(s.signature) ?? { signature: s.signature, count: 0, first: s };
      g.count++;
      local.set(s.signature, g);
    }
    for (const g of local.values()) {
      const prev = groups.get(g.signature);
      if (!prev) groups.set(g.signature, g);
      // Prefer the fuller report (console reports can be cut short by a dying guest).
      else
        groups.set(g.signature, {
          ...prev,
          count: Math.max(prev.count, g.count),
          first: prev.first.corrupted && !g.first.corrupted ? g.first : prev.first,
        });
    }
  }
  return [...groups.values()];
}
