import { doctor, doctorVerdict } from "../doctor/doctor.js";

/**
 * `kharness doctor [--install]`: every requirement, what is missing, and how to install it; exit 1 when
 * something is.
 */
export async function doctorCommand(opts: { install?: boolean }): Promise<number> {
  const { first, last } = await doctor(opts);
  // After an install, the first check's lines say what was missing, and the verdict what is left.
  if (last !== first) for (const l of first.lines) console.log(l);
  const { text, exitCode } = doctorVerdict(last);
  for (const l of text) console.log(l);
  return exitCode;
}
