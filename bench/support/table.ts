/** A bench's findings as a two-column markdown table, the form the README quotes. */
export type Row = [measure: string, value: string];

export function markdownTable(rows: Row[]): string {
  return ["| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
}
