import type { Splat } from "./parseConsole.js";

/** A report for a human: where it is, syzkaller's title, kharness's culprit and call path, then its lines. */
export function describeSplat(file: string, s: Splat): string {
  const flags = [...(s.primary ? ["first report"] : []), ...(s.corrupted ? ["corrupted"] : [])];
  const head = [
    `${file}:${s.startLine}-${s.endLine}: ${s.title}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`,
    `  kind ${s.kind}, type ${s.type}, frame ${s.frame ?? "(none)"}, culprit ${s.culprit ?? "(none)"}, ` +
      `signature ${s.signature}`,
    ...s.altTitles.map((a) => `  also titled ${a}`),
    ...(s.callPath.length > 1 ? [`  call path ${s.callPath.join(" <- ")}`] : []),
  ];
  return [...head, ...s.lines.map((l) => `  | ${l}`), ""].join("\n");
}

/**
 * "title (via culprit <- caller ...)": how summaries name a signature. The culprit leads
 * the path when it is not the title's own frame (syzkaller named a helper).
 */
export function signatureLabel(s: { title: string; callPath: string[] }): string {
  const [culprit, ...callers] = s.callPath;
  const path = culprit !== undefined && !s.title.endsWith(` in ${culprit}`) ? s.callPath : callers;
  return path.length > 0 ? `${s.title} (via ${path.join(" <- ")})` : s.title;
}
