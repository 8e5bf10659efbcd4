import { promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Qmp } from "../../harness/vm/qemu/qmp.js";

/** A QMP server as QEMU speaks it: a greeting, then one reply per command, with events in between. */
async function fakeQemu(
  socketPath: string,
  answer: (cmd: { execute: string; arguments?: unknown }) => object[],
): Promise<net.Server> {
  const server = net.createServer((c) => {
    c.write(`${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2 } }, capabilities: [] } })}\r\n`);
    let buf = "";
    c.on("data", (d) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) for (const reply of answer(JSON.parse(l))) c.write(`${JSON.stringify(reply)}\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return server;
}

describe("the QMP client", () => {
  const dir = path.join(os.tmpdir(), `kharness-qmp-test-${process.pid}`);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it("leaves capabilities mode, skips events, and gives each command its own reply", async () => {
    await fs.mkdir(dir, { recursive: true });
    const sock = path.join(dir, "a.sock");
    const seen: string[] = [];
    let polls = 0;
    const server = await fakeQemu(sock, (cmd) => {
      seen.push(cmd.execute);
      if (cmd.execute === "query-migrate")
        return [
          { event: "MIGRATION", data: { status: "active" } },
          { return: { status: ++polls > 1 ? "completed" : "active" } },
        ];
      if (cmd.execute === "migrate")
        return [{ error: { class: "GenericError", desc: "There's a migration process in progress" } }];
      return [{ return: {} }];
    });
    const qmp = await Qmp.connect(sock, 2000, () => true);
    expect(await qmp.execute("query-migrate")).toEqual({ status: "active" });
    expect(await qmp.execute("query-migrate")).toEqual({ status: "completed" });
    await expect(qmp.execute("migrate", { uri: "exec:cat > /x" })).rejects.toThrow(
      /QEMU refused migrate: GenericError: There's a migration/,
    );
    expect(seen).toEqual(["qmp_capabilities", "query-migrate", "query-migrate", "migrate"]);
    qmp.close();
    server.close();
  });

  it("waits for QEMU to make its socket, and says which socket when QEMU is gone", async () => {
    const sock = path.join(dir, "late.sock");
    const late = new Promise<net.Server>((r) =>
      setTimeout(() => void fakeQemu(sock, () => [{ return: {} }]).then(r), 150),
    );
    const qmp = await Qmp.connect(sock, 2000, () => true);
    qmp.close();
    (await late).close();
    await expect(Qmp.connect(path.join(dir, "never.sock"), 100, () => false)).rejects.toThrow(
      /QMP socket .*never\.sock/,
    );
  });
});
