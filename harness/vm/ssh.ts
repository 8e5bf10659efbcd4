import ssh2 from "ssh2";
import { InfraError } from "../core/errors.js";

// ssh2 is CommonJS: its named exports are only reachable through the default import.
const { Client, utils } = ssh2;
type Client = ssh2.Client;

export interface SshKeyPair {
  privateKey: string;
  publicKey: string;
}

/**
 * A new login key for the guests: they trust it and nothing else. ssh2 1.17 writes about 1 in
 * 240 ed25519 pairs that its own parser rejects ("Malformed OpenSSH private key": its keygen
 * strips a public key's leading zero byte, mscdex/ssh2#1513), so a pair is kept only once
 * the parser that connects with it takes both halves.
 */
export function generateClientKey(): SshKeyPair {
  for (let attempt = 0; attempt < 32; attempt++) {
    const k = utils.generateKeyPairSync("ed25519", { comment: "kharness" });
    if (!(utils.parseKey(k.private) instanceof Error) && !(utils.parseKey(k.public) instanceof Error))
      return { privateKey: k.private, publicKey: k.public };
  }
  throw new InfraError(
    "ssh2 made 32 ed25519 key pairs in a row that it cannot parse",
    "check the installed ssh2 version (npm ls ssh2)",
  );
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class GuestShell {
  private constructor(private readonly client: Client) {}

  /**
   * Connect once; rejects when the guest does not answer within `timeoutMs`, or presents a
   * host key other than `hostPublicKey` (another process took the forwarded port).
   */
  static connect(port: number, key: SshKeyPair, hostPublicKey: string, timeoutMs: number): Promise<GuestShell> {
    const expected = Buffer.from(hostPublicKey.split(" ")[1] ?? "", "base64");
    return new Promise((resolve, reject) => {
      const client = new Client();
      client
        .on("ready", () => resolve(new GuestShell(client)))
        .on("error", reject)
        .connect({
          host: "127.0.0.1",
          port,
          username: "root",
          privateKey: key.privateKey,
          readyTimeout: timeoutMs,
          hostVerifier: (presented: Buffer) => presented.equals(expected),
          // A busy TCG guest can be slow to answer; a minute of silence means it is wedged.
          keepaliveInterval: 5000,
          keepaliveCountMax: 12,
        });
    });
  }

  /**
   * Run a shell command; never rejects. On timeout (counted from the request, so a channel
   * the guest never opens times out too) the channel is closed and `timedOut` is set; a
   * connection that is gone gives `code: null` with the reason in stderr. `onData` sees
   * stdout as it arrives.
   */
  exec(command: string, timeoutMs: number, onData?: (chunk: string) => void): Promise<ExecResult> {
    return new Promise((resolve) => {
      let stdout = "";
      let stderr = "";
      let done = false;
      let close = () => {};
      const finish = (code: number | null, timedOut: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut });
      };
      const timer = setTimeout(() => {
        close();
        finish(null, true);
      }, timeoutMs);
      try {
        this.client.exec(command, (err, channel) => {
          if (err) {
            stderr += err.message;
            return finish(null, false);
          }
          close = () => channel.close();
          channel.on("data", (d: Buffer) => {
            stdout += d.toString();
            onData?.(d.toString());
          });
          channel.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          let code: number | null = null;
          channel.on("exit", (c: number | null) => (code = c));
          // "close" comes after the last data, so output is complete when we resolve.
          channel.on("close", () => finish(code, false));
        });
      } catch (err) {
        // ssh2 throws at once when the connection is already closed.
        stderr += (err as Error).message;
        finish(null, false);
      }
    });
  }

  close(): void {
    this.client.end();
  }
}
