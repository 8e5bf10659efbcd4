import { z } from "zod";

/**
 * Cache entries under ~/.cache/kharness that kharness reads back. A damaged entry is never
 * used, nor an error: an image is rebuilt (with a warning naming the entry), a snapshot is
 * deleted and the guest boots cold.
 */

/** images/<key>/meta.json: written after bzImage, so its presence means the image is whole. */
export const ImageMetaSchema = z.object({
  compiled: z.array(z.string()),
  durationMs: z.number(),
  command: z.string(),
  patches: z.array(z.string()),
  /** sha256 of bzImage when it was stored: a changed image, or an entry without it, is rebuilt, never booted. */
  bzImageSha256: z.string().optional(),
});
export type ImageMeta = z.infer<typeof ImageMetaSchema>;

/**
 * snapshots/<key>/meta.json: a booted guest saved with QEMU's migration (the `state` file
 * beside it, and `console.log`, its console up to the save). Written last, in a scratch folder
 * that is then renamed to the entry, so a found entry is whole.
 */
export const SnapshotMetaSchema = z.object({
  key: z.string(),
  /** sha256 of `state` when it was saved: a changed file is never restored. */
  stateSha256: z.string(),
  stateBytes: z.number().int(),
  savedAt: z.string(),
  /** The cold boot to a guest ready over SSH, and the save itself. */
  bootMs: z.number(),
  saveMs: z.number(),
});
export type SnapshotMeta = z.infer<typeof SnapshotMetaSchema>;

/**
 * guest-identity.json (mode 0600): the SSH keys every guest image of this cache holds, so
 * the initramfs, and with it the booted snapshot's key, is the same from one run to the next.
 * A damaged file is replaced by a new identity (its snapshots are then never found again).
 */
export const GuestIdentitySchema = z.object({
  /** kharness's login key (OpenSSH format), and its public half, root's authorized key. */
  clientPrivateKey: z.string(),
  clientPublicKey: z.string(),
  /** dropbear's host key file, base64, and "ssh-ed25519 AAAA...", what the guest must present. */
  hostKeyDropbear: z.string(),
  hostPublicKey: z.string(),
});
export type GuestIdentity = z.infer<typeof GuestIdentitySchema>;
