/**
 * The parser's expected results, one file each in test/corpus/ (format in
 * test/support/corpus.ts). After a reviewed change to the parser, rewrite the headers with
 *   KHARNESS_UPDATE_CORPUS=1 npx vitest run test/unit/corpus.test.ts
 * and read the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConsole } from "../../harness/parse/parseConsole.js";
import { expectationOf, readCorpusFile, writeCorpusFile, type CorpusExpectation } from "../support/corpus.js";

const dir = path.join(import.meta.dirname, "..", "corpus");
const update = process.env.KHARNESS_UPDATE_CORPUS === "1";
const names = readdirSync(dir).filter((n) => !n.startsWith(".") && n !== "README.md");
// Unknown crash types are not written (as in syzkaller's files).
const comparable = (e: CorpusExpectation) => ({ ...e, type: e.type === "UNKNOWN" ? undefined : e.type });

describe("parser corpus", () => {
  it("has entries", () => expect(names.length).toBeGreaterThan(20));

  it.each(names)("%s", (name) => {
    const file = path.join(dir, name);
    const entry = readCorpusFile(readFileSync(file, "utf8"));
    const log = entry.logPath !== undefined ? readFileSync(path.join(dir, entry.logPath), "utf8") : entry.body;
    const got = expectationOf(parseConsole(log));
    if (update) writeFileSync(file, writeCorpusFile(entry, got));
    else expect(comparable(got)).toEqual(comparable({ ...entry.expected, alts: [...entry.expected.alts].sort() }));
  });
});
