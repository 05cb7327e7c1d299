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
  opts: {
    rootDir: string;
    serve: boolean;
    log: (line: string) => void;
    /** Resolves when serving should stop; default: SIGINT or SIGTERM. */
    waitForStop?: () => Promise<void>;
  },
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
      const scheduled = stages.filter((s) => s.schedule);
      opts.log(
        `Serving the local stack (state in ${stateDir})${scheduled.length ? `; on schedule: ${scheduled.map((s) => `${s.name} every ${(s.schedule?.everyMs ?? 0) / 1000}s`).join(', ')}` : ''}. Ctrl-C to stop.`,
      );
      const stopSchedules = startSchedules(scheduled, ctx, opts.log);
      try {
        await (opts.waitForStop ?? waitForSignal)();
      } finally {
        await stopSchedules();
      }
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

function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Run each stage's schedule on its own timer, never overlapping itself; returns a stopper that waits for runs in flight. */
function startSchedules(
  stages: readonly DemoStage[],
  ctx: DemoContext,
  log: (line: string) => void,
): () => Promise<void> {
  let stopped = false;
  const timers = new Map<DemoStage, NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  for (const stage of stages) {
    const schedule = stage.schedule;
    if (!schedule) continue;
    const tick = () => {
      const run = schedule
        .run(ctx)
        .then(
          (line) => log(`  ⟳ ${stage.name}: ${line}`),
          (error: unknown) =>
            log(`  ✗ ${stage.name} (scheduled) failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          inFlight.delete(run);
          if (!stopped) timers.set(stage, setTimeout(tick, schedule.everyMs));
        });
      inFlight.add(run);
    };
    timers.set(stage, setTimeout(tick, schedule.everyMs));
  }
  return async () => {
    stopped = true;
    for (const t of timers.values()) clearTimeout(t);
    await Promise.all(inFlight);
  };
}
