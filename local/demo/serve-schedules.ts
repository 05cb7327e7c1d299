import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveEkmKey } from '../../functions/adapters/ekm/clients';
import { DefaultSecretResolver } from '../../functions/adapters/secret-resolvers';
import { openLake } from '../../functions/composition/lake';
import { openTriggerSync } from '../../functions/composition/triggers';
import type { DemoContext, DemoStage } from './demo-context';

/**
 * The CDK app's other schedules under `npm start -- --serve`, on the stage config's default timers
 * (lib/config/stage-config.ts: summaryEveryMinutes 60, driftEveryMinutes 60). Realtime ingest and
 * compaction run on the lake stage's schedule, the monthly close on the billing close stage's.
 * Without --serve each only names its timer.
 */
const HOUR_MS = 60 * 60_000;

function needConfig(ctx: DemoContext) {
  const config = ctx.local.config;
  if (!config?.state) throw new Error('the lake stage has not run (ctx.local.config with a state table)');
  return { config, state: config.state };
}

/** Summary ingest every 60 min (the IngestSummary Lambda's rate). */
export const summaryScheduleStage: DemoStage = {
  name: 'Schedule: summary ingest every 60 min (with --serve)',
  async run(ctx) {
    return [ctx.serve ? 'summary ingest runs every 60 min from now' : 'runs with npm start -- --serve'];
  },
  schedule: {
    everyMs: HOUR_MS,
    async run(ctx) {
      const { config } = needConfig(ctx);
      const lake = openLake(config);
      try {
        const sm = await lake.ingestSummary({ key: await resolveEkmKey(config, 'demo', new DefaultSecretResolver()) });
        return `summary ingest "demo": ${sm.buckets} 15-minute buckets up to ${new Date(sm.toMs).toISOString()}`;
      } finally {
        await lake.close();
      }
    },
  },
};

/** The trigger drift check every 60 min (the TriggerDrift Lambda's rate), against examples/triggers.yaml. */
export const driftScheduleStage: DemoStage = {
  name: 'Schedule: trigger drift check every 60 min (with --serve)',
  async run(ctx) {
    return [ctx.serve ? 'the drift check runs every 60 min from now' : 'runs with npm start -- --serve'];
  },
  schedule: {
    everyMs: HOUR_MS,
    async run(ctx) {
      const { config, state } = needConfig(ctx);
      const root = join(ctx.stateDir, '..');
      const file = join(root, 'examples', 'triggers.yaml');
      const wiring = await openTriggerSync(config, 'demo');
      const drift = wiring.driftCheck({
        state,
        loadDesired: async () => ({ name: relative(root, file), text: readFileSync(file, 'utf8') }),
        autoApplyGateways: new Set(),
      });
      try {
        const result = await drift.check();
        return `drift check: ${result.totalRemaining} trigger change(s) pending over ${result.records.length} gateway(s)`;
      } finally {
        drift.close();
        await wiring.close();
      }
    },
  },
};
