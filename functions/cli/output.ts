import { asError, EkmPipelineError, ValidationError } from '../core/errors';

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
  if (process.env.DEBUG && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_FAILURE;
}
