import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { makeEkmClients } from '../../functions/adapters/ekm/clients';
import { loadProjectConfig } from '../../functions/config/project-config';
import type { EkmKey } from '../../functions/ports/ekm-api';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN, DEMO_METER_ID } from '../ekm-cloud/identities';
import { startFakeCloud } from '../ekm-cloud/server';
import type { DemoStage } from './demo-context';

/** Local EKM cloud seed for `npm start` (any fixed value keeps demo runs comparable). */
const DEMO_SEED = 1;
/** Port of the local EKM cloud under `npm start -- --serve` (same default as `ekm-pipeline fake-cloud`). */
const SERVE_PORT = 8400;

const DAY_MS = 86_400_000;

/** The earlier of the cloud's default (35 days back) and two days before the previous month began (UTC). */
export function demoHistoryStartMs(nowMs: number): number {
  const now = new Date(nowMs);
  const previousMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) - 2 * DAY_MS;
  return Math.min(Math.floor(nowMs / DAY_MS) * DAY_MS - 35 * DAY_MS, previousMonth);
}

/**
 * `npm start` stage 1: start the local EKM cloud, write `.local/ekm-pipeline.yaml` pointing every
 * EKM API at it (key alias `demo`), then discover meters and pull realtime and summary data
 * through the same client the Lambdas use.
 */
export const cloudStage: DemoStage = {
  name: 'Local EKM cloud + EKM client',
  async run(ctx) {
    // With --serve a fixed port is friendlier (curl examples keep working); fall back to any free port.
    // History reaches back over the last full month (the billing close stage backfills it from the
    // Summary API; the simulator is a pure function of the minute, local/ekm-cloud/simulator.ts).
    const sim = { seed: DEMO_SEED, historyStartMs: demoHistoryStartMs(Date.now()) };
    const cloud = ctx.serve
      ? await startFakeCloud({ ...sim, port: SERVE_PORT }).catch(() => startFakeCloud(sim))
      : await startFakeCloud(sim);
    ctx.onClose(() => cloud.close());
    const file = join(ctx.stateDir, 'ekm-pipeline.yaml');
    const raw = {
      version: 1,
      ekm: {
        realtimeUrl: cloud.url,
        summaryUrl: cloud.url,
        accountUrl: cloud.url,
        triggerUrl: cloud.url,
        timeoutMs: 5000,
        maxRetries: 3,
      },
      keys: [
        { alias: 'demo', secret: { value: DEMO_ACCOUNT_KEY }, token: { value: DEMO_BEARER_TOKEN }, timezone: 'UTC' },
      ],
    };
    writeFileSync(
      file,
      `# Written by npm start: the local EKM cloud's demo identities (public demo values, not secrets).\n${stringify(raw)}`,
    );
    const config = loadProjectConfig(file);
    ctx.local.cloudUrl = cloud.url;
    ctx.local.config = config;
    ctx.log(`local EKM cloud on ${cloud.url} (realtime, summary, account, trigger APIs)`);

    const clients = makeEkmClients(config.ekm);
    try {
      const key: EkmKey = { alias: 'demo', key: DEMO_ACCOUNT_KEY };
      const meters = await clients.account.meters(key);
      const ids = meters.map((m) => m.meter);
      const reads = await clients.realtime.read(key, { meters: ids, cnt: 10 });
      const now = Date.now();
      const dayStart = Math.floor(now / 86_400_000) * 86_400_000 - 86_400_000;
      const buckets = await clients.summary.read(key, {
        meters: ids,
        report: 'hr',
        startMs: dayStart,
        endMs: dayStart + 86_400_000,
        fields: ['kWh_Tot_Diff'],
      });
      const latest = reads.filter((r) => r.meter === DEMO_METER_ID && r.good).at(-1);
      const yesterdayKwh = buckets
        .filter((b) => b.meter === DEMO_METER_ID)
        .reduce((s, b) => s + (b.values.kWh_Tot_Diff ?? 0), 0);
      const stats = clients.http.stats();
      return [
        `local EKM cloud at ${cloud.url}; config written to ${file} (key alias "demo")`,
        `Account API: ${meters.length} meters (${meters.map((m) => `${m.meter}/${m.protocol ?? '?'}`).join(', ')})`,
        `Realtime API: ${reads.length} readings (${reads.filter((r) => !r.good).length} failed reads flagged); ${DEMO_METER_ID} kWh_Tot=${latest?.fields.kWh_Tot ?? '?'}, RMS_Watts_Tot=${latest?.fields.RMS_Watts_Tot ?? '?'} W`,
        `Summary API: ${buckets.length} hourly buckets for yesterday; ${DEMO_METER_ID} used ${yesterdayKwh.toFixed(2)} kWh`,
        `client: ${stats.requests} HTTP requests, ${stats.retries} retries`,
      ];
    } finally {
      await clients.close();
    }
  },
};
