import net from "node:net";
import { InfraError } from "../../core/errors.js";

type Reply = { return?: unknown; error?: { class: string; desc: string } };

/**
 * QEMU's machine protocol on a unix socket: one JSON object per line; replies come in the
 * order of the commands, and events (lines with "event") come in between and are skipped.
 */
export class Qmp {
  private buffered = "";
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closed: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    path: string,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.read(chunk));
    const gone = (err?: Error) => {
      // QEMU gone (it exited, or failed to load a state): every command from now on fails at once, not never.
      this.closed ??= new InfraError(`QMP ${path} closed${err ? `: ${err.message}` : ""}`);
      for (const w of this.waiting.splice(0)) w.reject(this.closed);
    };
    socket.on("error", gone);
    socket.on("close", () => gone());
  }

  /** Connect once QEMU has made the socket (it does so while starting), then leave the greeting's capabilities mode. */
  static async connect(path: string, timeoutMs: number, alive: () => boolean): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(path, () => resolve(s)).once("error", reject);
        });
        const qmp = new Qmp(socket, path);
        await qmp.inTime(qmp.next(), "the greeting");
        await qmp.execute("qmp_capabilities");
        return qmp;
      } catch (err) {
        if (!alive() || Date.now() > deadline)
          throw new InfraError(`cannot talk to QEMU on its QMP socket ${path}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Run a command; QEMU's error is an InfraError that names the command. */
  async execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    const reply = this.next();
    this.socket.write(`${JSON.stringify({ execute: command, ...(args && { arguments: args }) })}\n`);
    const r = await this.inTime(reply, command);
    if (r.error) throw new InfraError(`QEMU refused ${command}: ${r.error.class}: ${r.error.desc}`);
    return r.return as T;
  }

  close(): void {
    this.socket.destroy();
  }

  /** QEMU answers a command in milliseconds; one that has not answered in this long is not going to. */
  private async inTime<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InfraError(`QEMU did not answer ${what} within ${ms / 1000} s`)), ms);
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private next(): Promise<Reply> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    const lines = this.buffered.split("\n");
    this.buffered = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      const msg = JSON.parse(line) as Reply & { event?: string };
      if (msg.event === undefined) this.waiting.shift()?.resolve(msg);
    }
  }
}
