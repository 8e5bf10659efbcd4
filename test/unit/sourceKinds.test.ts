import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../harness/core/errors.js";
import { exists } from "../../harness/core/files.js";
import { sha256, sha256File } from "../../harness/core/hash.js";
import { silentProgress } from "../../harness/core/progress.js";
import { BisectRepo } from "../../harness/bisect/repo.js";
import { buildDirOf } from "../../harness/source/kinds.js";
import {
  applySeries,
  prepareSource,
  readPatches,
  SourceSpecSchema,
  withSourceTree,
  type SourceSpec,
} from "../../harness/source/source.js";

// Source kinds on a tiny tree (a Makefile and two C files), in a private cache.
let tmp: string;
const savedCache = process.env.KHARNESS_CACHE;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "kharness-test-"));
  process.env.KHARNESS_CACHE = path.join(tmp, "cache");
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.KHARNESS_CACHE;
  else process.env.KHARNESS_CACHE = savedCache;
  await fs.rm(tmp, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) =>
  execa("git", ["-c", "user.name=Ada Tester", "-c", "user.email=ada@example.org", ...args], { cwd }).then(
    (r) => r.stdout,
  );
const prepare = (source: SourceSpec) => prepareSource({ name: "tiny", source }, silentProgress);
const read = (dir: string, rel: string) => fs.readFile(path.join(dir, rel), "utf8");
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as UserError,
  );

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), text);
  }
}

/** Every file under `dir` (but .git) with its content. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    if (rel.split(path.sep)[0] === ".git") continue;
    if (e.isSymbolicLink()) out[rel] = `-> ${await fs.readlink(path.join(dir, rel))}`;
    else if (e.isFile()) out[rel] = await read(dir, rel);
  }
  return out;
}

/** What a user would notice changing in their checkout. */
async function checkoutState(repo: string) {
  const gitDir = path.join(repo, ".git");
  return {
    head: await fs.readFile(path.join(gitDir, "HEAD"), "utf8"),
    refs: await git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
    index: await git(repo, "ls-files", "--stage"),
    status: await git(repo, "status", "--porcelain"),
    config: await fs.readFile(path.join(gitDir, "config"), "utf8"),
    files: await listing(repo),
  };
}

const V1 = { Makefile: "all:\n", "mm/a.c": "int a = 1;\n" };

describe("git source", () => {
  let repo: string;
  const commits: Record<string, string> = {};
  beforeAll(async () => {
    repo = path.join(tmp, "user-repo");
    await fs.mkdir(repo);
    await git(repo, "init", "-q", "-b", "main");
    await writeFiles(repo, V1);
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "v1");
    await git(repo, "tag", "v1");
    commits.v1 = await git(repo, "rev-parse", "HEAD");
    await writeFiles(repo, { "mm/a.c": "int a = 2;\n", "mm/b.c": "int b;\n" });
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "v2");
    commits.v2 = await git(repo, "rev-parse", "HEAD");
    await git(repo, "revert", "--no-edit", "HEAD");
    commits.reverted = await git(repo, "rev-parse", "HEAD");
    // The user is in the middle of work: a staged change, an unstaged one, an untracked file.
    await writeFiles(repo, { Makefile: "all: staged\n" });
    await git(repo, "add", "Makefile");
    await writeFiles(repo, { "mm/a.c": "int a = 99; /* unstaged */\n", "notes.txt": "untracked\n" });
  });

  it("checks out the ref in its own tree and leaves the user's checkout as it was", async () => {
    const before = await checkoutState(repo);
    const tree = await prepare({ kind: "git", tree: repo, ref: "v1" });
    expect(await checkoutState(repo)).toEqual(before);
    expect(await listing(tree.dir)).toEqual(V1);
    expect(await exists(path.join(tree.dir, ".git"))).toBe(false);
    expect(tree.sourceHash).toBe(commits.v1);
    expect(tree.content).toBe(`git:${await git(repo, "rev-parse", "v1^{tree}")}`);
    expect(tree.dir.startsWith(path.join(process.env.KHARNESS_CACHE!, "trees", tree.id))).toBe(true);

    const v2 = await prepare({ kind: "git", tree: repo, ref: commits.v2!.slice(0, 10) });
    expect(v2.dir).toBe(tree.dir);
    expect(v2.id).toBe(tree.id);
    expect(await listing(v2.dir)).toEqual({ ...V1, "mm/a.c": "int a = 2;\n", "mm/b.c": "int b;\n" });
    expect(await checkoutState(repo)).toEqual(before);
  });

  it("gives commits with equal trees equal content, and the default ref is HEAD", async () => {
    const v1 = await prepare({ kind: "git", tree: repo, ref: "v1" });
    const head = await prepare(SourceSpecSchema.parse({ kind: "git", tree: repo }));
    expect(head.sourceHash).toBe(commits.reverted);
    expect(head.content).toBe(v1.content);
    const v2 = await prepare({ kind: "git", tree: repo, ref: commits.v2! });
    expect(v2.content).not.toBe(v1.content);
  });

  it("undoes a series before checking out another commit, and keeps it for the same commit", async () => {
    const patch = path.join(tmp, "git-series.patch");
    await fs.writeFile(
      patch,
      [
        "--- a/mm/a.c",
        "+++ b/mm/a.c",
        "@@ -1 +1 @@",
        "-int a = 2;",
        "+int a = 3;",
        "--- /dev/null",
        "+++ b/mm/new.c",
        "@@ -0,0 +1 @@",
        "+int added;",
        "",
      ].join("\n"),
    );
    const v2 = await prepare({ kind: "git", tree: repo, ref: commits.v2! });
    await applySeries(v2, await readPatches([patch]));
    expect(await read(v2.dir, "mm/new.c")).toBe("int added;\n");

    await prepare({ kind: "git", tree: repo, ref: commits.v2! });
    expect(await read(v2.dir, "mm/a.c")).toBe("int a = 3;\n");

    const v1 = await prepare({ kind: "git", tree: repo, ref: "v1" });
    expect(await listing(v1.dir)).toEqual(V1);
    const again = await prepare({ kind: "git", tree: repo, ref: commits.v2! });
    const series = await applySeries(again, await readPatches([patch]));
    expect(series.reports).toHaveLength(1);
    expect(await read(again.dir, "mm/a.c")).toBe("int a = 3;\n");
  });

  it("is the clone bisect uses: one work tree, one lock and one build directory per config", async () => {
    const patch = path.join(tmp, "git-series.patch");
    const tree = await prepare({ kind: "git", tree: repo, ref: commits.v2! });
    await applySeries(tree, await readPatches([patch]));
    const bisecting = await BisectRepo.open(repo);
    expect([bisecting.id, bisecting.workTree]).toEqual([tree.id, tree.dir]);
    // A run's series is undone before git bisect checks out over it.
    await bisecting.discardSeries();
    expect(await read(tree.dir, "mm/a.c")).toBe("int a = 2;\n");
    expect(await exists(path.join(tree.dir, "mm/new.c"))).toBe(false);
  });

  it(
    "builds beside the source in every kind, " + "so a second tree compiles from ccache (kbuild's srctree is ..)",
    async () => {
      const dir = path.join(tmp, "plain");
      await writeFiles(dir, V1);
      const trees = [await prepare({ kind: "git", tree: repo, ref: "v1" }), await prepare({ kind: "dir", path: dir })];
      for (const t of trees) expect(path.relative(buildDirOf(t.dir, "c0ffee".repeat(8)), t.dir)).toBe("..");
    },
  );

  it("checks out again a work tree removed by hand", async () => {
    const v1 = await prepare({ kind: "git", tree: repo, ref: "v1" });
    await fs.rm(v1.dir, { recursive: true });
    expect(await listing((await prepare({ kind: "git", tree: repo, ref: "v1" })).dir)).toEqual(V1);
  });

  it("says which ref does not exist, and that a plain directory is not a repository", async () => {
    const unknown = await errorOf(prepare({ kind: "git", tree: repo, ref: "no-such-tag" }));
    expect(unknown).toBeInstanceOf(UserError);
    expect(unknown!.message).toBe(`--ref no-such-tag is not a commit of ${repo}`);
    expect(unknown!.hint).toContain("git -C");

    const plain = path.join(tmp, "not-a-repo");
    await writeFiles(plain, V1);
    const notRepo = await errorOf(prepare({ kind: "git", tree: plain, ref: "HEAD" }));
    expect(notRepo).toBeInstanceOf(UserError);
    expect(notRepo!.message).toBe(`--tree ${plain} is not a git repository`);
    expect(notRepo!.hint).toContain('kind "dir"');

    const docs = path.join(tmp, "docs-repo");
    await writeFiles(docs, { README: "not a kernel\n" });
    await git(docs, "init", "-q");
    await git(docs, "add", ".");
    await git(docs, "commit", "-q", "-m", "docs");
    expect((await errorOf(prepare({ kind: "git", tree: docs, ref: "HEAD" })))!.message).toBe(
      `--ref HEAD of ${docs} is not a kernel tree (no top-level Makefile)`,
    );
  });
});

describe("dir source", () => {
  let user: string;
  beforeEach(async () => {
    user = await fs.mkdtemp(path.join(tmp, "user-dir-"));
    await writeFiles(user, { ...V1, ".git/HEAD": "ref: refs/heads/main\n" });
    await fs.symlink("a.c", path.join(user, "mm/link.c"));
    await writeFiles(user, { "scripts/run.sh": "#!/bin/sh\n" });
    await fs.chmod(path.join(user, "scripts/run.sh"), 0o755);
  });

  const snapshot = async (dir: string) => {
    const files = await listing(dir);
    const stats = await Promise.all(
      Object.keys(files).map(async (f) => `${f} ${(await fs.lstat(path.join(dir, f))).mtimeMs}`),
    );
    return { files, stats, git: await read(dir, ".git/HEAD") };
  };

  it("builds from a copy, refreshed on each prepare, and never writes the directory", async () => {
    const before = await snapshot(user);
    const first = await prepare({ kind: "dir", path: user });
    expect(await listing(first.dir)).toEqual({ ...V1, "mm/link.c": "-> a.c", "scripts/run.sh": "#!/bin/sh\n" });
    expect(await exists(path.join(first.dir, ".git"))).toBe(false);
    expect((await fs.stat(path.join(first.dir, "scripts/run.sh"))).mode & 0o777).toBe(0o755);
    expect((await prepare({ kind: "dir", path: user })).content).toBe(first.content);

    const patch = path.join(tmp, "dir-series.patch");
    await fs.writeFile(
      patch,
      [
        "--- a/mm/a.c",
        "+++ b/mm/a.c",
        "@@ -1 +1 @@",
        "-int a = 1;",
        "+int a = 3;",
        "--- /dev/null",
        "+++ b/mm/new.c",
        "@@ -0,0 +1 @@",
        "+int added;",
        "",
      ].join("\n"),
    );
    await applySeries(first, await readPatches([patch]));
    expect(await snapshot(user)).toEqual(before);

    const pristine = await prepare({ kind: "dir", path: user });
    expect(await listing(pristine.dir)).toEqual({ ...V1, "mm/link.c": "-> a.c", "scripts/run.sh": "#!/bin/sh\n" });
    expect(pristine.content).toBe(first.content);

    await writeFiles(user, { "mm/a.c": "int a = 4;\n", "mm/c.c": "int c;\n" });
    await fs.rm(path.join(user, "mm/link.c"));
    await fs.writeFile(path.join(user, "mm/link.c"), "now a file\n");
    const edited = await prepare({ kind: "dir", path: user });
    expect(edited.id).toBe(first.id);
    expect(edited.content).not.toBe(first.content);
    expect(await listing(edited.dir)).toEqual({
      ...V1,
      "mm/a.c": "int a = 4;\n",
      "mm/c.c": "int c;\n",
      "mm/link.c": "now a file\n",
      "scripts/run.sh": "#!/bin/sh\n",
    });

    await fs.rm(path.join(user, "mm/c.c"));
    expect(await listing((await prepare({ kind: "dir", path: user })).dir)).not.toHaveProperty("mm/c.c");
  });

  it("refuses a directory with an in-tree build or without a Makefile", async () => {
    for (const product of [".config", "include/config/auto.conf"]) {
      const dir = await fs.mkdtemp(path.join(tmp, "built-"));
      await writeFiles(dir, { ...V1, [product]: "CONFIG_X=y\n" });
      const err = await errorOf(prepare({ kind: "dir", path: dir }));
      expect(err).toBeInstanceOf(UserError);
      expect(err!.message).toContain(`source directory ${dir} holds an in-tree build`);
      expect(err!.hint).toBe(`run make mrproper in ${dir} or use --tree with a git ref`);
    }
    const empty = await fs.mkdtemp(path.join(tmp, "empty-"));
    expect((await errorOf(prepare({ kind: "dir", path: empty })))!.message).toContain("no top-level Makefile");
    const missing = path.join(tmp, "no-such-dir");
    expect(
      (await errorOf(
        withSourceTree({ name: "tiny", source: { kind: "dir", path: missing } }, silentProgress, async () => 0),
      ))!.message,
    ).toBe(`source directory ${missing} does not exist`);
  });
});

describe("tarball source and the registry", () => {
  it("keeps the cache layout from before kinds: src/<recipe>-<sha12>, content = id", async () => {
    const top = path.join(tmp, "tar/linux-source-6.1");
    await writeFiles(top, V1);
    const tarball = path.join(tmp, "linux-source-6.1.tar.gz");
    await execa("tar", ["-czf", tarball, "-C", path.dirname(top), "linux-source-6.1"]);
    const hash = await sha256File(tarball);
    const tree = await prepare({ kind: "tarball", path: tarball });
    const id = `tiny-${hash.slice(0, 12)}`;
    expect(tree).toEqual({ id, content: id, sourceHash: hash, dir: path.join(process.env.KHARNESS_CACHE!, "src", id) });
    expect(await listing(tree.dir)).toEqual(V1);
    await expect(
      prepare({ kind: "tarball", path: `${tarball}.missing`, package: "linux-source-6.1" }),
    ).rejects.toMatchObject({ hint: "apt-get install linux-source-6.1" });
  });

  it("reads every kind's spec from YAML-shaped data, strictly", () => {
    expect(SourceSpecSchema.parse({ kind: "dir", path: "/src" })).toEqual({ kind: "dir", path: "/src" });
    expect(SourceSpecSchema.safeParse({ kind: "svn", path: "/src" }).success).toBe(false);
    expect(SourceSpecSchema.safeParse({ kind: "git", tree: "/src", ref: "v6.1", depth: 1 }).success).toBe(false);
  });

  it(
    "keeps a tree prepared earlier while it holds its source, " + "and prepares it again once another run changed it",
    async () => {
      const user = await fs.mkdtemp(path.join(tmp, "again-"));
      await writeFiles(user, V1);
      const repo = await fs.mkdtemp(path.join(tmp, "again-repo-"));
      await writeFiles(repo, V1);
      await git(repo, "init", "-q", "-b", "main");
      await git(repo, "add", ".");
      await git(repo, "commit", "-q", "-m", "v1");
      await writeFiles(repo, { "mm/a.c": "int a = 2;\n" });
      await git(repo, "commit", "-q", "-am", "v2");
      const dirSpec: SourceSpec = { kind: "dir", path: user };
      const top = path.join(tmp, "again-tar", "linux-source-x");
      await writeFiles(top, V1);
      const tarball = path.join(tmp, "again.tar.gz");
      await execa("tar", ["-czf", tarball, "-C", path.dirname(top), "linux-source-x"]);
      const tarSpec: SourceSpec = { kind: "tarball", path: tarball };
      const cases: [SourceSpec, () => Promise<unknown>][] = [
        // Another run refreshed the copy from an edited directory.
        [dirSpec, async () => (await writeFiles(user, { "mm/a.c": "int a = 5;\n" }), prepare(dirSpec))],
        // Another run checked out another commit of the same repository.
        [{ kind: "git", tree: repo, ref: "HEAD~1" }, () => prepare({ kind: "git", tree: repo, ref: "HEAD" })],
        // The unpacked tarball was removed from the cache (by hand, or a cache cleanup).
        [tarSpec, async () => fs.rm((await prepare(tarSpec)).dir, { recursive: true, force: true })],
      ];
      for (const [source, anotherRun] of cases) {
        const stages: string[] = [];
        const progress = { ...silentProgress, stage: (s: string) => void stages.push(s) };
        const earlier = await withSourceTree({ name: "tiny", source }, progress, async (t) => t);
        const kept = await withSourceTree({ name: "tiny", source }, progress, async (t) => t, earlier);
        expect(kept).toBe(earlier);
        expect(stages).toHaveLength(1);
        await anotherRun();
        const again = await withSourceTree({ name: "tiny", source }, progress, async (t) => t, earlier);
        expect(again).not.toBe(earlier);
        expect(stages).toHaveLength(2);
        expect(await read(again.dir, "mm/a.c")).toBe(source.kind === "dir" ? "int a = 5;\n" : "int a = 1;\n");
      }
    },
  );

  it("holds the tree's lock while the caller uses it", async () => {
    const user = await fs.mkdtemp(path.join(tmp, "locked-"));
    await writeFiles(user, V1);
    const lockFile = (id: string) => path.join(process.env.KHARNESS_CACHE!, "locks", `${id}.lock`);
    const id = await withSourceTree(
      { name: "tiny", source: { kind: "dir", path: user } },
      silentProgress,
      async (tree) => {
        expect(await fs.readFile(`${lockFile(tree.id)}.owner`, "utf8")).toBe(`pid ${process.pid}`);
        expect((await fs.stat(`${lockFile(tree.id)}.d`)).isDirectory()).toBe(true);
        return tree.id;
      },
    );
    expect(id).toBe(`dir-${sha256(await fs.realpath(user)).slice(0, 12)}`);
    expect(await exists(`${lockFile(id)}.d`)).toBe(false);
  });
});
