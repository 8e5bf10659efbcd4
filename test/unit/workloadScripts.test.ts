import { readdirSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../harness/core/paths.js";

const guestDir = path.join(projectRoot, "harness", "workload", "guest");
const scripts = readdirSync(guestDir).filter((f) => f.endsWith(".sh"));

// The guest runs busybox ash, so the scripts must be POSIX sh. shellcheck comes from
// Debian (`./bin/kharness doctor --install`).
describe("guest scripts pass shellcheck -s sh", () => {
  it("there are guest scripts to check", () => expect(scripts.length).toBeGreaterThanOrEqual(3));

  it.each(scripts)("%s", async (file) => {
    const r = await execa("shellcheck", ["-s", "sh", path.join(guestDir, file)], { reject: false });
    if (r.failed && r.exitCode === undefined)
      throw new Error(`shellcheck did not run (${r.shortMessage}): install it with ./bin/kharness doctor --install`);
    expect(r.stdout, r.stdout).toBe("");
    expect(r.exitCode).toBe(0);
  });
});
