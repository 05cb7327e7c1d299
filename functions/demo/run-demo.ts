import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoContext, DemoStage, LocalStack } from './demo-context';

export interface DemoRun {
  readonly ok: boolean;
  readonly stages: {
    readonly name: string;
    readonly ok: boolean;
    readonly ms: number;
    readonly lines: string[];
    readonly error?: string;
  }[];
}

/**
 * The front door: run every stage once against the local stack, print a short summary.
 * With `serve`, leave the stack running until SIGINT/SIGTERM.
 */
export async function runDemo(
  stages: readonly DemoStage[],
  opts: { rootDir: string; serve: boolean; log: (line: string) => void },
): Promise<DemoRun> {
  const stateDir = join(opts.rootDir, '.local');
  mkdirSync(stateDir, { recursive: true });
  const closers: (() => Promise<void> | void)[] = [];
  const local: LocalStack = {};
  const ctx: DemoContext = {
    stateDir,
    serve: opts.serve,
    log: (line) => opts.log(`  ${line}`),
    onClose: (close) => closers.push(close),
    local,
  };
  const results: DemoRun['stages'][number][] = [];
  try {
    for (const stage of stages) {
      opts.log(`▶ ${stage.name}`);
      const started = Date.now();
      try {
        const lines = await stage.run(ctx);
        results.push({ name: stage.name, ok: true, ms: Date.now() - started, lines });
        for (const line of lines) opts.log(`  ✓ ${line}`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results.push({ name: stage.name, ok: false, ms: Date.now() - started, lines: [], error: message });
        opts.log(`  ✗ ${stage.name} failed: ${message}`);
        break;
      }
    }
    if (opts.serve && results.every((r) => r.ok)) {
      opts.log(`Serving the local stack (state in ${stateDir}); Ctrl-C to stop.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch {
        // A service that fails to stop must not hide the run's result.
      }
    }
  }
  return { ok: results.every((r) => r.ok) && results.length === stages.length, stages: results };
}
