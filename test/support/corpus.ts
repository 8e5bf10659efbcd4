/**
 * The parser's corpus files (test/corpus/): a header block, one blank line, then the log,
 * as in ../shared/parser-corpus so score.py reads the self-contained ones too. Header keys:
 * TITLE, ALT (repeated), TYPE, CULPRIT, CORRUPTED (Y/N) for the log's first report; LATER
 * (repeated) for the other reports, "count | title | culprit[ | corrupted]" per distinct
 * title and culprit in order of first appearance; LOG names a captured console (relative to
 * the corpus file) when the log is too big to repeat; "#" lines are comments.
 */
import type { Splat } from "../../harness/parse/parseConsole.js";

export interface CorpusExpectation {
  title?: string;
  alts: string[];
  type?: string;
  culprit?: string;
  corrupted: boolean;
  later: string[];
}

export interface CorpusFile {
  comments: string[];
  /** The captured console this entry stands for, if the log is not in the file. */
  logPath?: string;
  expected: CorpusExpectation;
  body: string;
}

export function readCorpusFile(text: string): CorpusFile {
  const lines = text.replace(/\r/g, "").split("\n");
  const blank = lines.indexOf("");
  const head = lines.slice(0, blank < 0 ? lines.length : blank);
  const comments = head.filter((l) => l.startsWith("#"));
  const values = (key: string) =>
    head.filter((l) => l.startsWith(`${key}:`)).map((l) => l.slice(key.length + 1).trim());
  const one = (key: string) => values(key)[0] || undefined;
  const logPath = one("LOG");
  const title = one("TITLE");
  const type = one("TYPE");
  const culprit = one("CULPRIT");
  return {
    comments,
    ...(logPath !== undefined && { logPath }),
    expected: {
      ...(title !== undefined && { title }),
      alts: values("ALT"),
      ...(type !== undefined && { type }),
      ...(culprit !== undefined && { culprit }),
      corrupted: one("CORRUPTED") === "Y",
      later: values("LATER"),
    },
    body:
      blank < 0
        ? ""
        : lines
            .slice(blank + 1)
            .join("\n")
            .split("\n\nREPORT:\n")[0]!,
  };
}

/** What the parser says about a log, in the corpus's terms. */
export function expectationOf(splats: readonly Splat[]): CorpusExpectation {
  const [first, ...rest] = splats;
  const later = new Map<string, number>();
  for (const s of rest) {
    const key = [s.title, s.culprit ?? "-", ...(s.corrupted ? ["corrupted"] : [])].join(" | ");
    later.set(key, (later.get(key) ?? 0) + 1);
  }
  return {
    ...(first && { title: first.title, type: first.type }),
    alts: first ? [...first.altTitles].sort() : [],
    ...(first?.culprit !== undefined && { culprit: first.culprit }),
    corrupted: first?.corrupted ?? false,
    later: [...later].map(([key, n]) => `${n} | ${key}`),
  };
}

/** The file with its header rewritten to `e` (comments and LOG kept, log untouched). */
export function writeCorpusFile(file: CorpusFile, e: CorpusExpectation): string {
  const head = [
    ...file.comments,
    ...(file.logPath !== undefined ? [`LOG: ${file.logPath}`] : []),
    ...(e.title !== undefined ? [`TITLE: ${e.title}`] : []),
    ...e.alts.map((a) => `ALT: ${a}`),
    ...(e.type !== undefined && e.type !== "UNKNOWN" ? [`TYPE: ${e.type}`] : []),
    ...(e.culprit !== undefined ? [`CULPRIT: ${e.culprit}`] : []),
    ...(e.corrupted ? ["CORRUPTED: Y"] : []),
    ...e.later.map((l) => `LATER: ${l}`),
  ];
  return `${head.join("\n")}\n\n${file.body}`;
}
