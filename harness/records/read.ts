import { promises as fs } from "node:fs";
import type { z } from "zod";
import { UserError } from "../core/errors.js";
import { describeIssues } from "../core/schemas.js";

/**
 * Read a record kharness wrote earlier and validate it: a damaged, truncated or older file
 * is an input error that names the file and the field, never a crash later on.
 */
export async function readRecord<T extends z.ZodType>(schema: T, file: string, what: string): Promise<z.infer<T>> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read ${what} ${file}: ${(err as Error).message}`,
      "give a results directory that kharness wrote",
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(
      `${file} is not valid JSON (${(err as Error).message}): the ${what} is damaged or was cut short`,
      "run it again; kharness writes records atomically, so a damaged one was edited or copied by hand",
    );
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  // Another version's record fails on every field that changed: its schema line is the one that says why.
  const version = parsed.error.issues.find((i) => i.path.length === 1 && i.path[0] === "schema");
  if (version) {
    const found = (data as { schema?: unknown }).schema;
    throw new UserError(
      `${file} is a ${what} of another kharness version (schema ${JSON.stringify(found)}): ${version.message}`,
      "read it with the kharness version that wrote it, or run it again with this one",
    );
  }
  throw new UserError(
    `${file} is not a ${what} this kharness can read:\n${describeIssues(parsed.error)}`,
    "it was written by another version of kharness or edited by hand; run it again with this version",
  );
}

/** readRecord, or undefined when the file does not exist (a cache entry not written yet). */
export async function readRecordIfExists<T extends z.ZodType>(
  schema: T,
  file: string,
  what: string,
): Promise<z.infer<T> | undefined> {
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  return readRecord(schema, file, what);
}
