import { createReadStream, promises as fs, type ReadStream } from "node:fs";
import { UserError } from "../core/errors.js";
import { describeSplat } from "../parse/describe.js";
import { scanConsoleStream } from "../parse/parseConsole.js";

/** A log file as a stream, after checking it can be read, so a bad name is an input error that names it. */
async function openLog(file: string): Promise<ReadStream> {
  try {
    await fs.access(file, fs.constants.R_OK);
    if ((await fs.stat(file)).isDirectory()) throw new Error("it is a directory");
  } catch (err) {
    throw new UserError(
      `cannot read ${file}: ${(err as Error).message}`,
      "give the path of a console or dmesg log, or - for standard input",
    );
  }
  return createReadStream(file);
}

/** `kharness parse`: every report in each file, printed as soon as it ends; exit 1 when there is any. */
export async function parseCommand(files: string[], opts: { json?: boolean }): Promise<number> {
  let found = 0;
  const out = (text: string) => process.stdout.write(text);
  for (const f of files) {
    const input = f === "-" ? process.stdin : await openLog(f);
    let n = 0;
    if (opts.json) out(`{"file":${JSON.stringify(f)},"splats":[`);
    await scanConsoleStream(input, (s) => {
      if (opts.json) {
        const { lines: _lines, ...rest } = s;
        out(`${n > 0 ? "," : ""}${JSON.stringify(rest)}`);
      } else out(`${describeSplat(f, s)}\n`);
      n++;
    });
    if (opts.json) out("]}\n");
    found += n;
  }
  return found > 0 ? 1 : 0;
}
