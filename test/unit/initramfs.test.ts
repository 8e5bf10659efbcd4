import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { buildInitramfs, parseLdd } from "../../harness/image/initramfs.js";
import { guestInit, READY_MARKER } from "../../harness/image/guestInit.js";
import { generateHostKey } from "../../harness/image/hostKey.js";

describe("guest image", () => {
  it("reads the libraries ldd lists, the loader included", () => {
    const out = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibtomcrypt.so.1 => /lib/x86_64-linux-gnu/libtomcrypt.so.1 (0x00007f30)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f94)\n`;
    expect(parseLdd(out)).toEqual(["/lib/x86_64-linux-gnu/libtomcrypt.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
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
    const archive = await buildInitramfs({ busybox: "/bin/busybox", dropbear: "/usr/sbin/dropbear", authorizedKey: "ssh-ed25519 AAAA test", hostKey: hostKey.dropbearKey });
    const names = (await execa("cpio", ["-it", "--quiet"], { input: archive })).stdout.split("\n");
    for (const n of ["init", "bin/busybox", "bin/sh", "usr/sbin/dropbear", "dev/console", "root/.ssh/authorized_keys", "etc/dropbear/dropbear_ed25519_host_key", "etc/passwd", "lib64/ld-linux-x86-64.so.2"]) {
      expect(names).toContain(n);
    }
    expect(names.some((n) => /libtomcrypt\.so/.test(n))).toBe(true);
  });
});
