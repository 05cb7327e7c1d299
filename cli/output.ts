import { asError, EkmPipelineError, ValidationError } from '../functions/core/errors';

/** Global CLI conventions: human output by default, `--json` for machines, trusted exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** A plan found pending changes (triggers plan). */
export const EXIT_CHANGES_PENDING = 2;

export interface OutputOptions {
  readonly json?: boolean;
}

/** Print a result: `human()` lines by default, the value as one JSON document with --json. */
export function printResult(opts: OutputOptions, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/**
 * A one-line progress indicator on stderr (so stdout stays clean for --json and pipes). On a
 * non-TTY it prints at most one line per 10% step.
 */
export function progress(label: string, total: number): { tick(n?: number): void; done(): void } {
  let done = 0;
  let lastDecile = -1;
  const tty = process.stderr.isTTY;
  const draw = () => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (tty) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    } else if (Math.floor(pct / 10) !== lastDecile) {
      lastDecile = Math.floor(pct / 10);
      process.stderr.write(`${label}: ${done}/${total} (${pct}%)\n`);
    }
  };
  return {
    tick(n = 1) {
      done += n;
      draw();
    },
    done() {
      done = total;
      draw();
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Turn any error into one clear stderr message and an exit code; stack traces only with DEBUG set. */
export function reportError(error: unknown): number {
  const err = asError(error);
  if (err instanceof ValidationError) process.stderr.write(`error: ${err.message}\n`);
  else if (err instanceof EkmPipelineError) process.stderr.write(`error [${err.code}]: ${err.message}\n`);
  else process.stderr.write(`error: ${err.message}\n`);
  const down = refusedLoopback(err);
  if (down)
    process.stderr.write(
      `  nothing is listening on ${down}: if that is the local stack, start it with \`npm start -- --serve\` and keep it running (a plain \`npm start\` stops its services when it ends)\n`,
    );
  if (process.env.DEBUG && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_FAILURE;
}

/** `127.0.0.1:PORT` when the error (or its causes) is a refused connection to this machine. */
function refusedLoopback(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as {
    code?: unknown;
    message?: unknown;
    address?: unknown;
    port?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const text = typeof e.message === 'string' ? e.message : '';
  const m = /ECONNREFUSED ((?:127\.0\.0\.1|::1|localhost):\d+)/.exec(text);
  if (m) return m[1];
  if (e.code === 'ECONNREFUSED' && typeof e.address === 'string' && /^(127\.|::1$)/.test(e.address))
    return `${e.address}:${String(e.port)}`;
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const found = refusedLoopback(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
