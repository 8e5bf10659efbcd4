import path from "node:path";
import { tool } from "../core/exec.js";
import { exists } from "../core/files.js";
import { resultsRoot } from "../core/paths.js";
import { readRunDir, reportModel } from "../report/model.js";
import { checkTester, replyText } from "../report/reply.js";

export interface ReplyCommandOptions {
  fix?: string;
  testedBy?: string;
}

/** git's user.name and user.email, as a commit would carry them; none when either is unset. */
async function gitIdentity(): Promise<string | undefined> {
  const get = async (key: string) => (await tool("git", ["config", "--get", key])).stdout.trim();
  const [name, email] = await Promise.all([get("user.name"), get("user.email")]);
  return name && email ? checkTester(`${name} <${email}>`, "git config user.name and user.email give") : undefined;
}

/** A run id under results/, or a results directory given by its path. */
async function resultsDirOf(run: string): Promise<string> {
  return (await exists(run)) ? run : path.join(resultsRoot(), run);
}

/**
 * `kharness reply RUN`: the reply text on stdout. The tester is --tested-by or git's
 * identity; without either there is no Tested-by, and stderr says why.
 */
export async function replyCommand(run: string, o: ReplyCommandOptions): Promise<{ text: string; note?: string }> {
  const testedBy = o.testedBy !== undefined ? checkTester(o.testedBy, "--tested-by") : await gitIdentity();
  const text = replyText(reportModel(await readRunDir(await resultsDirOf(run))), {
    ...(o.fix && { fix: o.fix }),
    ...(testedBy && { testedBy }),
  });
  const note = testedBy
    ? undefined
    : 'no Tested-by: kharness never invents one; give --tested-by "Name <mail>", ' +
      "or set git config user.name and user.email";
  return { text, ...(note && { note }) };
}
