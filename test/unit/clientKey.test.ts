import ssh2 from "ssh2";
import { describe, expect, it } from "vitest";
import { generateClientKey } from "../../harness/vm/ssh.js";

describe("the SSH login key kharness makes for its guests", () => {
  // ssh2's keygen makes about 1 unparseable pair in 240; over 3000 pairs an unchecked generator fails
  // with chance 1 - 3e-6.
  it("is always a pair that ssh2's own parser takes", () => {
    const rejected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = generateClientKey();
      for (const half of [k.privateKey, k.publicKey]) {
        const parsed = ssh2.utils.parseKey(half);
        if (parsed instanceof Error) rejected.push(`${parsed.message}: ${half}`);
      }
    }
    expect(rejected).toEqual([]);
  });
});
