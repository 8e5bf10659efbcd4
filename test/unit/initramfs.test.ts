import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildInitramfs, parseReadelf, realpathIn, sharedLibraries } from "../../harness/image/initramfs.js";
import { parseDependsClosure } from "../../harness/image/guestRoot.js";
import { guestInit, READY_MARKER } from "../../harness/image/guestInit.js";
import { generateHostKey } from "../../harness/image/hostKey.js";

describe("guest image", () => {
  it("reads a binary's loader and sonames from readelf, for any arch", () => {
    const out = [
      "      [Requesting program interpreter: /lib/ld-linux-aarch64.so.1]",
      " 0x0000000000000001 (NEEDED)             Shared library: [libtomcrypt.so.1]",
      " 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]",
      " 0x000000000000000e (SONAME)             Library soname: [libx.so.1]",
    ].join("\n");
    expect(parseReadelf(out)).toEqual({
      interpreter: "/lib/ld-linux-aarch64.so.1",
      needed: ["libtomcrypt.so.1", "libc.so.6"],
    });
    expect(parseReadelf(" 0x1 (NEEDED)  Shared library: [libc.so.6]")).toEqual({ needed: ["libc.so.6"] });
  });

  it("follows symlinks inside a guest root, absolute targets staying in it", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-root-"));
    await fs.mkdir(path.join(root, "lib/aarch64-linux-gnu"), { recursive: true });
    await fs.writeFile(path.join(root, "lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), "");
    await fs.symlink("aarch64-linux-gnu/ld-linux-aarch64.so.1", path.join(root, "lib/ld-linux-aarch64.so.1"));
    await fs.symlink("/lib", path.join(root, "lib64"));
    expect(await realpathIn(root, "lib/ld-linux-aarch64.so.1")).toBe("lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
    expect(await realpathIn(root, "/lib64/ld-linux-aarch64.so.1")).toBe("lib/aarch64-linux-gnu/ld-linux-aarch64.so.1");
    await fs.rm(root, { recursive: true, force: true });
  });

  it("finds the host dropbear's libraries as its loader would, each real file once", async () => {
    const libs = await sharedLibraries({ root: "/", multiarch: "x86_64-linux-gnu" }, "usr/sbin/dropbear");
    expect(libs[0]).toBe("lib64/ld-linux-x86-64.so.2");
    expect(libs).toContain("lib/x86_64-linux-gnu/libc.so.6");
    // libtomcrypt's own NEEDED (libgmp), and no second copy of the loader libc names.
    expect(libs).toContain("lib/x86_64-linux-gnu/libgmp.so.10");
    expect(libs.filter((l) => l.includes("ld-linux"))).toHaveLength(1);
  });

  it("takes the package names out of apt-cache depends --recurse", () => {
    const out =
      "dropbear-bin:arm64\n  Depends: libc6:arm64\n  Depends: <debconf-2.0>\n" +
      "libc6:arm64\n  Depends: libgcc-s1:arm64\n<debconf-2.0>\nlibc6:arm64\n";
    expect(parseDependsClosure(out)).toEqual(["dropbear-bin:arm64", "libc6:arm64"]);
  });

  it("init mounts cgroup2, starts dropbear and says when it is ready", () => {
    const init = guestInit();
    expect(init).toContain("mount -t cgroup2");
    // The marker is echoed only once dropbear runs with the host key baked into the image.
    expect(init).toContain(`dropbear -r /etc/dropbear/dropbear_ed25519_host_key -s -p 22 && echo ${READY_MARKER}`);
    expect(init.startsWith("#!/bin/busybox sh\n")).toBe(true);
  });

  it("packs busybox, dropbear with its libraries, init, the keys and /dev/console", async () => {
    const hostKey = await generateHostKey();
    expect(hostKey.publicKey).toMatch(/^ssh-ed25519 AAAA\S+$/);
    const guest = { root: "/", multiarch: "x86_64-linux-gnu" };
    const archive = await buildInitramfs({
      guest,
      authorizedKey: "ssh-ed25519 AAAA test",
      hostKey: hostKey.dropbearKey,
    });
    const names = (await execa("cpio", ["-it", "--quiet"], { input: archive })).stdout.split("\n");
    for (const n of [
      "init",
      "bin/busybox",
      "bin/sh",
      "usr/sbin/dropbear",
      "dev/console",
      "root/.ssh/authorized_keys",
      "etc/dropbear/dropbear_ed25519_host_key",
      "etc/passwd",
      "lib64/ld-linux-x86-64.so.2",
    ]) {
      expect(names).toContain(n);
    }
    expect(names.some((n) => /libtomcrypt\.so/.test(n))).toBe(true);
  });
});
