/**
 * The verdicts' operating characteristics, exactly: for each run budget and residual, the
 * calibrated level and, at each true rate p of the baseline's bug, the chance of a false
 * FIXED (a fix that changes nothing, or that leaves the residual share), of a false
 * REGRESSED, of FIXED for partial fixes (half and a quarter of the rate), the power (a real
 * fix FIXED) and its mean runs (baseline's and fix's). The numbers come from the
 * calibrator's count-state DP, which test/unit/calibration.test.ts shows equal to an exact
 * pass over the product's own round loop.
 * Usage: npm run bench:verdicts [-- --confidence 0.95] [-- --max-runs 12,20,30]
 */
import { argv } from "zx";
import { calibrate, procedureOutcome } from "../harness/verdict/calibrate.js";

const confidence = Number(argv.confidence ?? 0.95);
const budgets = String(argv["max-runs"] ?? "12,20,30")
  .split(",")
  .map(Number);
const rates = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1];
const f3 = (x: number) => x.toFixed(3);

function table(maxRuns: number, residual: number): string[] {
  const c = calibrate(maxRuns, confidence, residual);
  const { levels } = c;
  const head = [
    `### max runs ${maxRuns}, confidence ${confidence}, residual ${residual}`,
    "",
    `FIXED level ${levels.fixed.toPrecision(3)} ` +
      `(worst false FIXED ${f3(c.worstFalseFixed.value)} ` +
      `at p = ${c.worstFalseFixed.at.toFixed(2)}), ` +
      `REGRESSED level ${levels.regressed.toPrecision(3)} ` +
      `(worst false REGRESSED ${f3(c.worstFalseRegressed.value)}); ` +
      `fewest runs to FIXED: ` +
      `${c.fewestRounds === undefined ? "out of reach" : `${c.fewestRounds} + ${c.fewestRounds}`}`,
    "",
    `| p | false FIXED (fix at ${residual === 1 ? "p" : `${residual}p`}) ` +
      `| false REGRESSED (fix at p) | FIXED at p/2 | FIXED at p/4 ` +
      `| power (real fix) | mean runs (real fix) |`,
    "|---|---|---|---|---|---|---|",
  ];
  const rows = rates.map((p) => {
    const unchanged = procedureOutcome(levels, p, p);
    const real = procedureOutcome(levels, p, 0);
    const cells = [
      p,
      procedureOutcome(levels, p, residual * p).fixed,
      unchanged.regressed,
      procedureOutcome(levels, p, p / 2).fixed,
      procedureOutcome(levels, p, p / 4).fixed,
      real.fixed,
    ];
    return `| ${cells.map((x, i) => (i === 0 ? x.toFixed(2) : f3(x))).join(" | ")} | ${(2 * real.rounds).toFixed(1)} |`;
  });
  return [...head, ...rows, ""];
}

const out = [...budgets.map((m) => table(m, 1)), table(12, 0.5), table(12, 0.25)].flat();
console.log(out.join("\n"));
