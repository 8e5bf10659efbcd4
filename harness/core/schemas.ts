import type { z } from "zod";

/** Anything a registry lists with its zod schema (a source kind, a workload step). */
type WithSchema = { schema: z.core.$ZodTypeDiscriminable };
type SchemasOf<K extends readonly WithSchema[]> = { -readonly [I in keyof K]: K[I]["schema"] };

/** A registry's schemas as a tuple, which z.discriminatedUnion needs to infer the union of their types. */
export function schemasOf<const K extends readonly [WithSchema, ...WithSchema[]]>(items: K): SchemasOf<K> {
  return items.map((k) => k.schema) as SchemasOf<K>;
}

/**
 * The fields a document failed on, one per line: "  cells.3.runs.0.status: Invalid option ...".
 * kharness's own format rather than z.prettifyError's ("✖ message", then "→ at cells[3]..."): the
 * field comes first, on the line of its message, as the errors and their tests name it.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(top level)"}: ${i.message}`).join("\n");
}
