import { promises as fs } from "node:fs";
import { InfraError } from "../../core/errors.js";

/** The console file; a missing one means QEMU never opened it (""), any other error is infra. */
export async function readConsoleFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw new InfraError(
      `cannot read the serial console ${file}: ${(err as Error).message}`,
      "check the results disk (space, permissions)",
    );
  }
}
