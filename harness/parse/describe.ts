import type { Splat } from "./parseConsole.js";

/** A report for a human: where it is, its title, kind and guilty frame, then its lines. */
export function describeSplat(file: string, s: Splat): string {
  const head = [
    `${file}:${s.startLine}-${s.endLine}: ${s.title}${s.corrupted ? " (corrupted)" : ""}`,
    `  kind ${s.kind}, guilty frame ${s.frame ?? "(none)"}, signature ${s.signature}`,
    ...(s.callPath.length > 1 ? [`  call path ${s.callPath.join(" <- ")}`] : []),
  ];
  return [...head, ...s.lines.map((l) => `  | ${l}`), ""].join("\n");
}

/** "title (via caller <- caller's caller ...)": how summaries name a signature. */
export function signatureLabel(s: { title: string; callPath: string[] }): string {
  return s.callPath.length > 1 ? `${s.title} (via ${s.callPath.slice(1).join(" <- ")})` : s.title;
}
