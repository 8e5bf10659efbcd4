/**
 * Progress for long steps: a line when a stage starts and one when it is done (with the time it
 * took), and detail lines between them (make's current file, a running workload). On a terminal
 * the detail line is redrawn in place; elsewhere (a CI log) a detail is printed only when 15 s
 * have passed since the last one printed, and the others are dropped, so logs stay readable.
 */
export interface Progress {
  stage(name: string): void;
  detail(line: string): void;
  info(line: string): void;
  done(summary: string): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let stage = "";
  let started = Date.now();
  let lastPrinted = 0;
  let lastDetail = "";
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  const clear = () => {
    if (tty) stream.write("\r\x1b[K");
  };
  return {
    stage(name) {
      stage = name;
      started = Date.now();
      lastDetail = "";
      clear();
      stream.write(`[${name}] started\n`);
    },
    detail(line) {
      lastDetail = line;
      const now = Date.now();
      if (tty) {
        stream.write(`\r\x1b[K[${stage} ${elapsed()}] ${line.slice(0, (stream.columns ?? 100) - 20)}`);
      } else if (now - lastPrinted > 15000) {
        lastPrinted = now;
        stream.write(`[${stage} ${elapsed()}] ${lastDetail}\n`);
      }
    },
    info(line) {
      clear();
      stream.write(`${line}\n`);
    },
    done(summary) {
      clear();
      stream.write(`[${stage}] ${summary} (${elapsed()})\n`);
    },
  };
}

/** A progress sink for tests and quiet callers. */
export const silentProgress: Progress = { stage() {}, detail() {}, info() {}, done() {} };
