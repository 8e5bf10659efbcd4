/**
 * Named pauses for the fault catalogue: KHARNESS_FAILPOINTS="report=5000" holds the run for
 * 5 s where `failpoint("report")` is called, so a test can send a signal into a stage that
 * otherwise lasts milliseconds. Unset (always, outside the fault tests), it does nothing.
 */
export async function failpoint(name: string): Promise<void> {
  const spec = (process.env.KHARNESS_FAILPOINTS ?? "").split(",").find((p) => p.split("=")[0] === name);
  const ms = Number(spec?.split("=")[1] ?? 0);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
