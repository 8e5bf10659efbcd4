import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { howEnded, tool } from "../core/exec.js";
import { InfraError } from "../core/errors.js";

/**
 * The guest's SSH host key, made on the host: the guest does no key generation at boot, and the host knows
 * whom it talks to.
 */
export interface GuestHostKey {
  /** dropbear's key file, for /etc/dropbear in the image. */
  dropbearKey: Buffer;
  /** "ssh-ed25519 AAAA...": what the SSH client expects the guest to present. */
  publicKey: string;
}

export async function generateHostKey(): Promise<GuestHostKey> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-hostkey-"));
  try {
    const file = path.join(dir, "dropbear_ed25519_host_key");
    const made = await tool("dropbearkey", ["-t", "ed25519", "-f", file], { all: true });
    if (made.exitCode !== 0)
      throw new InfraError(
        `dropbearkey -t ed25519 failed (${howEnded(made)}): ${made.all}`,
        "apt-get install dropbear-bin",
      );
    const line = made.stdout.split("\n").find((l) => l.startsWith("ssh-ed25519 "));
    if (!line) throw new InfraError(`dropbearkey printed no public key:\n${made.all}`, "apt-get install dropbear-bin");
    return { dropbearKey: await fs.readFile(file), publicKey: line.split(" ").slice(0, 2).join(" ") };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
