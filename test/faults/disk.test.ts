import { promises as fs } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256File } from "../../harness/core/hash.js";
import { cacheRoot } from "../../harness/core/paths.js";
import { kharness, leftovers, scratch } from "./support.js";

const root = scratch("disk");
let full: string;
beforeAll(async () => {
  full = path.join(await root, "results");
  await fs.mkdir(full);
  // A small tmpfs as the results disk: a real ENOSPC, without filling the machine's disk.
  await execa("mount", ["-t", "tmpfs", "-o", "size=2m", "kharness-fault-tmpfs", full]);
});
afterAll(async () => {
  await execa("umount", [full], { reject: false });
  await fs.rm(await root, { recursive: true, force: true });
});

/** Every cached image whose bzImage still has the hash its meta.json recorded. */
async function imagesWhole(): Promise<boolean> {
  const images = path.join(cacheRoot(), "images");
  for (const key of await fs.readdir(images)) {
    const meta = JSON.parse(await fs.readFile(path.join(images, key, "meta.json"), "utf8").catch(() => "{}"));
    if (meta.bzImageSha256 && meta.bzImageSha256 !== (await sha256File(path.join(images, key, "bzImage"))))
      return false;
  }
  return true;
}

describe("the results disk fills up", () => {
  it(
    "a clear error naming the path, no half-written record, the cache undamaged",
    async () => {
      const run = kharness(
        ["run", "memcg-hotplug-lockdep", "--variant", "before", "--max-runs", "1", "--accel", "tcg"],
        { KHARNESS_RESULTS: full },
      );
      const result = await run.proc;
      expect(result.exitCode, run.output()).toBe(2);
      expect(run.output()).toMatch(new RegExp(`host error: no space left on the device holding ${full}/`));
      expect(run.output()).toMatch(/fix: free space there, or point KHARNESS_RESULTS/);
      // Whatever record was written is whole JSON: writes are atomic, and a failed one leaves no temp file.
      const files = (await execa("find", [full, "-type", "f"])).stdout.split("\n").filter(Boolean);
      expect(files.filter((f) => /\.tmp/.test(f))).toEqual([]);
      for (const f of files.filter((x) => x.endsWith("run.json"))) JSON.parse(await fs.readFile(f, "utf8"));
      expect(await imagesWhole()).toBe(true);
      expect(await leftovers(full)).toEqual([]);
    },
    10 * 60_000,
  );
});
