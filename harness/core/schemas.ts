import type { z } from "zod";

/** Anything a registry lists with its zod schema (a source kind, a workload step). */
type WithSchema = { schema: z.core.$ZodTypeDiscriminable };
type SchemasOf<K extends readonly WithSchema[]> = { -readonly [I in keyof K]: K[I]["schema"] };

/** A registry's schemas as a tuple, which z.discriminatedUnion needs to infer the union of their types. */
export function schemasOf<const K extends readonly [WithSchema, ...WithSchema[]]>(items: K): SchemasOf<K> {
  return items.map((k) => k.schema) as SchemasOf<K>;
}
