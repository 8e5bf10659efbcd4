import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { archByName } from "../../harness/core/arch.js";
import type { Progress } from "../../harness/core/progress.js";
import { silentProgress } from "../../harness/core/progress.js";
import { guestIdentity, prepareGuest } from "../../harness/pipeline/guest.js";
import { fakeVm } from "../fakes/fakeVm.js";

describe("the guests' SSH identity, one per cache", () => {
  let cache: string;
  const saved = process.env.KHARNESS_CACHE;
  beforeEach(async () => {
    cache = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-identity-"));
    process.env.KHARNESS_CACHE = cache;
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.KHARNESS_CACHE;
    else process.env.KHARNESS_CACHE = saved;
    await fs.rm(cache, { recursive: true, force: true });
  });

  it(
    "is made once, private to its owner, and gives two runs the same initramfs " +
      "(so the second finds the first's snapshot)",
    async () => {
      const first = await guestIdentity(silentProgress);
      expect(first.hostPublicKey).toMatch(/^ssh-ed25519 AAAA\S+$/);
      expect(await guestIdentity(silentProgress)).toEqual(first);
      expect((await fs.stat(path.join(cache, "guest-identity.json"))).mode & 0o777).toBe(0o600);
      const runs = await Promise.all(
        ["run-a", "run-b"].map((r) =>
          prepareGuest(path.join(cache, r), archByName("x86_64"), "/nonexistent/bzImage", fakeVm([]), silentProgress),
        ),
      );
      const [a, b] = await Promise.all(runs.map((g) => fs.readFile(g.initrd)));
      expect(a!.equals(b!)).toBe(true);
      expect(runs[0]!.key.publicKey).toBe(first.clientPublicKey);
    },
  );

  it("a damaged identity is replaced, with a warning that names it", async () => {
    await fs.writeFile(path.join(cache, "guest-identity.json"), '{"clientPrivateKey": 1');
    const lines: string[] = [];
    const progress: Progress = { ...silentProgress, info: (l) => lines.push(l) };
    const made = await guestIdentity(progress);
    expect(lines.join("\n")).toMatch(/guest-identity\.json is damaged; made a new guest identity/);
    expect(await guestIdentity(silentProgress)).toEqual(made);
  });
});
