/**
 * The exact pass can fail: with FIXED's level raised to the next value the procedure can
 * actually attain, the worst false-FIXED chance goes over 1 - confidence. This is the
 * calibration broken on purpose, through the module every verdict reads its level from.
 */
import { describe, expect, it, vi } from "vitest";
import { exactPass, rateGrid, worst } from "../support/exactPass.js";

const knob = vi.hoisted(() => ({ raise: false }));

vi.mock("../../harness/verdict/calibrate.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../harness/verdict/calibrate.js")>();
  return {
    ...real,
    calibrate: (maxRuns: number, confidence: number, residual = 1) => {
      const c = real.calibrate(maxRuns, confidence, residual);
      if (!knob.raise) return c;
      const next = real.attainableLevels(maxRuns).find((l) => l > c.levels.fixed)!;
      return { ...c, levels: { ...c.levels, fixed: next } };
    },
  };
});

const rates = rateGrid(0.005);

describe("the next larger attainable level breaks the guarantee", () => {
  it.each([6, 12, 20, 30].flatMap((maxRuns) => [0.9, 0.95, 0.99].map((confidence) => ({ maxRuns, confidence }))))(
    "max runs $maxRuns at $confidence",
    (c) => {
      const s = { ...c, residual: 1 };
      knob.raise = false;
      expect(worst(exactPass(s, rates, 1).get("FIXED"))).toBeLessThanOrEqual(1 - c.confidence + 1e-12);
      knob.raise = true;
      expect(worst(exactPass(s, rates, 1).get("FIXED"))).toBeGreaterThan(1 - c.confidence);
      knob.raise = false;
    },
  );
});
