import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoStage } from '../../local/demo/demo-context';
import { runDemo } from '../../local/demo/run-demo';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('runDemo (npm start)', () => {
  it('runs every stage once, then with --serve keeps running schedules until stopped, and closes services last', async () => {
    // Prepare
    const events: string[] = [];
    let ticks = 0;
    const stages: DemoStage[] = [
      {
        name: 'one',
        run: async (ctx) => {
          ctx.onClose(() => {
            events.push('closed');
          });
          return ['ran'];
        },
        schedule: {
          everyMs: 10,
          run: async () => {
            ticks++;
            return `tick ${ticks}`;
          },
        },
      },
    ];
    const lines: string[] = [];
    // Act
    const run = await runDemo(stages, {
      rootDir: mkdtempSync(join(tmpdir(), 'ekm-demo-')),
      serve: true,
      log: (l) => lines.push(l),
      waitForStop: () => sleep(80),
    });
    const ticksAtStop = ticks;
    await sleep(40);
    // Assess
    expect(run.ok).toBe(true);
    expect(ticksAtStop).toBeGreaterThanOrEqual(2);
    expect(ticks).toBe(ticksAtStop);
    expect(lines.some((l) => l.includes('⟳ one: tick 1'))).toBe(true);
    expect(events).toEqual(['closed']);
  });

  it('stops at the first failing stage, reports it, and still closes what started', async () => {
    const closed: string[] = [];
    const stages: DemoStage[] = [
      {
        name: 'a',
        run: async (ctx) => {
          ctx.onClose(() => {
            closed.push('a');
          });
          return ['ok'];
        },
      },
      {
        name: 'b',
        run: async () => {
          throw new Error('boom');
        },
      },
      { name: 'c', run: async () => ['never'] },
    ];
    const run = await runDemo(stages, {
      rootDir: mkdtempSync(join(tmpdir(), 'ekm-demo-')),
      serve: true,
      log: () => {},
    });
    expect(run.ok).toBe(false);
    expect(run.stages.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['a', true, undefined],
      ['b', false, 'boom'],
    ]);
    expect(closed).toEqual(['a']);
  });
});
