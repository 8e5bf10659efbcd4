import { z } from "zod";
import { defineStep, guestScript } from "../step.js";

/** The cgroup v2 group the writer runs in (the name of the original pagetest reproducer). */
export const MEMCG_GROUP = "/sys/fs/cgroup/pagetest";

// The defaults are the default scenario's: one file over twice memory.max, which reproduced
// the memcg bug on 6.1 within seconds, so `--workload memcg-writer` alone is a useful stress.
export const MemcgWriterStepSchema = z.strictObject({
  step: z.literal("memcg-writer"),
  /** memory.max of the writer's cgroup, as the kernel accepts it (e.g. 64M). */
  memoryMax: z
    .string()
    .regex(/^\d+[KMG]?$/, "a size such as 64M (digits, then K, M or G)")
    .default("64M"),
  files: z.number().int().min(1).default(1),
  fileMiB: z.number().int().min(1).default(150),
  /**
   * vm.dirty_writeback_centisecs for the run: how often the flusher wakes (the kernel's
   * default is 500). At 20 the writeback worker's path runs within a second of the writer's:
   * on 6.1 the reorder fix's sleep there came 0.5 s after the mount, against 3.1 s at 500.
   */
  writebackCentisecs: z.number().int().min(1).default(20),
});

/** Dirty-page writeback in a memory-limited cgroup: ext2 on /dev/vda, then dd files larger than memory.max. */
export const memcgWriterStep = defineStep("memcg-writer", MemcgWriterStepSchema, (p) => ({
  disk: "ext2",
  setup: guestScript("memcg-setup.sh", {
    MEMCG_GROUP,
    MEMCG_MAX: p.memoryMax,
    WRITEBACK_CENTISECS: p.writebackCentisecs,
  }),
  run: guestScript("memcg-writer.sh", { MEMCG_GROUP, WRITER_FILES: p.files, WRITER_FILE_MIB: p.fileMiB }),
}));
