import type { ShardOutcome } from "../records/run.js";

/** What the merge, its report and the CI step summary say about shards that did not report in full. */

/** One line per shard that did not report in full, naming its cells. */
export function shardProblems(shards: ShardOutcome[]): string[] {
  return shards
    .filter((s) => s.status !== "merged")
    .map((s) => {
      const why =
        s.status === "missing"
          ? "missing (no matrix.json was given for it)"
          : `stopped${s.run ? ` (run ${s.run})` : ""}: ${s.error}`;
      return (
        `shard ${s.index}/${shards.length} ${why}; ` +
        `${s.unfinished.length} cell(s) without a result: ${s.unfinished.join(", ")}`
      );
    });
}
