/**
 * What the CLI takes from the process: real timers and the way a command fails. Only `src/cli/`
 * touches process, signals and real timers (CONTRIBUTING.md §5.2); everything below it gets a
 * `Timers` and plain values.
 */
import type { Timers } from '../transport/byte-link';

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Print `error: message` on stderr and exit with `code`. */
export function fail(message: string, code = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** Resolve when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}
