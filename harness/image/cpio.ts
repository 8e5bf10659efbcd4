/**
 * A minimal writer for the kernel's initramfs format (cpio "newc"). Writing it ourselves
 * lets the harness put /dev/console and root-owned files in the image without root
 * privileges, mknod or fakeroot.
 */
export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Buffer; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function pad4(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

function header(ino: number, mode: number, size: number, name: string, rdevMajor = 0, rdevMinor = 0): Buffer {
  const hex = (v: number) => v.toString(16).padStart(8, "0");
  const nameBuf = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, rdevMajor, rdevMinor, nameBuf.length, 0];
  const head = Buffer.from(`070701${fields.map(hex).join("")}`, "ascii");
  return Buffer.concat([head, nameBuf, pad4(head.length + nameBuf.length)]);
}

/** Serialise entries (paths without a leading slash) into one newc archive, owner root:root. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, "");
    let mode: number;
    let data: Buffer = Buffer.alloc(0);
    let major = 0;
    let minor = 0;
    switch (e.type) {
      case "dir":
        mode = S_IFDIR | (e.mode ?? 0o755);
        break;
      case "file":
        mode = S_IFREG | (e.mode ?? 0o644);
        data = e.data;
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = Buffer.from(e.target);
        break;
      case "chardev":
        mode = S_IFCHR | (e.mode ?? 0o600);
        major = e.major;
        minor = e.minor;
        break;
    }
    parts.push(header(ino++, mode, data.length, name, major, minor), data, pad4(data.length));
  }
  parts.push(header(ino, 0, 0, "TRAILER!!!"));
  return Buffer.concat(parts);
}
