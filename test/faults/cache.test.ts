import { promises as fs } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256File } from "../../harness/core/hash.js";
import { cacheRoot } from "../../harness/core/paths.js";
import { createProgress } from "../../harness/core/progress.js";
import { prepareVariantKernel } from "../../harness/pipeline/kernel.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { scratch } from "./support.js";

const root = scratch("cache");
afterAll(async () => fs.rm(await root, { recursive: true, force: true }));

/** The baseline kernel through the real cache, with what the build printed. */
async function baseline() {
  const lines: string[] = [];
  const progress = { ...createProgress(), info: (l: string) => void lines.push(l) };
  const k = await prepareVariantKernel(
    await loadScenario("memcg-hotplug-lockdep"),
    "before",
    path.join(await root, "build.log"),
    progress,
  );
  return { k, lines };
}

describe("damaged cache entries are detected by their recorded hash and rebuilt, never used", () => {
  it(
    "a truncated bzImage, then an altered one",
    async () => {
      const { k: first } = await baseline();
      for (const damage of [(f: string) => fs.truncate(f, 4096), (f: string) => fs.appendFile(f, "x")]) {
        await damage(first.image.bzImage);
        const { k, lines } = await baseline();
        expect(lines.join("\n")).toMatch(/does not match its recorded hash; rebuilding/);
        expect(k.image.cached).toBe(false);
        const meta = JSON.parse(await fs.readFile(path.join(path.dirname(k.image.bzImage), "meta.json"), "utf8"));
        expect(await sha256File(k.image.bzImage)).toBe(meta.bzImageSha256);
      }
    },
    15 * 60_000,
  );

  it(
    "an altered cached .config is made again, and the image it keys stays the same",
    async () => {
      const { k: before } = await baseline();
      const configs = path.join(cacheRoot(), "configs");
      const files = (await fs.readdir(configs)).filter((f) => f.endsWith(".config")).map((f) => path.join(configs, f));
      const mine = [];
      for (const f of files) if ((await fs.readFile(f, "utf8")) === before.config.text) mine.push(f);
      expect(mine.length).toBeGreaterThan(0);
      for (const f of mine) await fs.appendFile(f, "CONFIG_KHARNESS_DAMAGE=y\n");
      const { k, lines } = await baseline();
      expect(lines.join("\n")).toMatch(/cached config .* does not match its recorded hash; making it again/);
      expect(k.config.sha256).toBe(before.config.sha256);
      expect(k.image.cached).toBe(true);
    },
    15 * 60_000,
  );
});
