import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // No QEMU, no kernel build: the whole project runs in well under a minute.
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000, sequence: { groupOrder: 0 } },
      },
      {
        // Tests that build and boot real kernels: minutes each, and one at a time, since
        // each one wants the host's cores and the shared build cache.
        test: {
          name: "vm",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // After the unit tests, never beside another project that boots kernels.
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The fault catalogue: each fault injected for real (signals, a killed QEMU, a full
        // disk, damaged cache entries, concurrent runs, bad input), some with real kernels.
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
