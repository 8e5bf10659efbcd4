import { z } from "zod";

/**
 * Cache entries under ~/.cache/kharness that kharness reads back. A damaged entry is an
 * input error naming its file (delete it and it is rebuilt), never a wrong image.
 */

/** images/<key>/meta.json: written after bzImage, so its presence means the image is whole. */
export const ImageMetaSchema = z.object({
  compiled: z.array(z.string()),
  durationMs: z.number(),
  command: z.string(),
  patches: z.array(z.string()),
  /** sha256 of bzImage when it was stored: a changed image is rebuilt, never booted. */
  bzImageSha256: z.string().optional(),
});
export type ImageMeta = z.infer<typeof ImageMetaSchema>;

