import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { writeCpio } from "../../harness/image/cpio.js";

describe("newc cpio writer", () => {
  it("writes an archive that GNU cpio lists with modes, devices and links", async () => {
    const archive = writeCpio([
      { type: "dir", path: "bin" },
      { type: "file", path: "bin/hello", data: Buffer.from("hi\n"), mode: 0o755 },
      { type: "symlink", path: "bin/sh", target: "busybox" },
      { type: "chardev", path: "dev/console", major: 5, minor: 1 },
    ]);
    expect(archive.length % 4).toBe(0);
    const listed = await execa("cpio", ["-itv", "--quiet"], { input: archive });
    const lines = listed.stdout.split("\n");
    expect(lines[0]).toMatch(/^drwxr-xr-x .* bin$/);
    expect(lines[1]).toMatch(/^-rwxr-xr-x .* 3 .* bin\/hello$/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/);
    expect(lines[3]).toMatch(/^crw------- .* 5,\s+1 .* dev\/console$/);
  });
});
