/**
 * Trigger sync benchmark (`npm run bench -- triggers`). Figures are printed, never asserted.
 * 100 gateways × 50 triggers against the local EKM cloud with 50 ms latency on every response:
 * plan + apply from empty (5,000 creates), a no-op re-plan, then a 1% edit (50 updates), at the
 * default write concurrency (8) and at 32. Requests are counted by the client and by the server.
 */
import { stringify } from 'yaml';
import { EkmTriggerClient } from '../functions/adapters/ekm/trigger-client';
import { UndiciHttpClient } from '../functions/adapters/undici-http-client';
import type { DesiredTriggers } from '../functions/core/triggers/model';
import { parseTriggerFile } from '../functions/core/triggers/parse';
import { makeApplyTriggers } from '../functions/use-cases/apply-triggers';
import { makePlanTriggers } from '../functions/use-cases/plan-triggers';
import { generateAccount } from '../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY, DEMO_BEARER_TOKEN } from '../local/ekm-cloud/identities';
import { startFakeCloud } from '../local/ekm-cloud/server';

const GATEWAYS = 100;
const PER_GATEWAY = 50;
const LATENCY_MS = 50;

function desiredFile(macs: { mac: string; v4: string }[], edited: number): string {
  const fields = ['kWh_Tot', 'RMS_Watts_Tot', 'RMS_Volts_Ln_1', 'Amps_Ln_1', 'Power_Factor_Ln_1'];
  let n = 0;
  const gateways = macs.map(({ mac, v4 }) => ({
    mac,
    triggers: Array.from({ length: PER_GATEWAY }, (_, i) => {
      const edit = n++ < edited ? 1 : 0;
      return i % 5 === 4
        ? {
            name: `schedule ${i}`,
            conditions: [
              {
                type: 'rrule',
                rrule: `DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY;BYHOUR=${i % 24};BYMINUTE=${edit * 30}`,
              },
            ],
            actions: [
              {
                target: 'meter',
                target_id: v4,
                command: 'setRelay',
                params: { relay: 'relay_1', status: 'close', duration: 60 },
              },
            ],
          }
        : {
            name: `threshold ${i}`,
            conditions: [
              {
                type: 'data',
                source: 'meter',
                source_id: v4,
                field: fields[i % fields.length],
                threshold_test: '>=',
                threshold_value: 100 + i + edit,
                hysteresis: 300,
              },
            ],
            actions: [{ target: 'gateway', command: 'sendEmail' }],
          };
    }),
  }));
  return stringify({ version: 1, gateways });
}

async function run(concurrency: number): Promise<void> {
  const account = generateAccount({ meters: GATEWAYS * 4, metersPerGateway: 4 });
  const cloud = await startFakeCloud({ account, faults: { latencyMs: LATENCY_MS } });
  const http = new UndiciHttpClient({ maxConcurrencyPerHost: concurrency });
  const triggers = new EkmTriggerClient(http, {
    baseUrl: cloud.url,
    key: { alias: 'bench', key: DEMO_ACCOUNT_KEY },
    token: DEMO_BEARER_TOKEN,
  });
  const macs = account.gateways.map((g) => ({ mac: g.mac, v4: g.meters.find((m) => m.protocol === 'v4')?.id ?? '' }));
  const parse = (edited: number): DesiredTriggers =>
    parseTriggerFile(desiredFile(macs, edited), 'bench.yaml', { nowMs: Date.now() }).desired;
  const yamlText = desiredFile(macs, 0);
  const plan = makePlanTriggers({ triggers, concurrency });
  const apply = makeApplyTriggers({ triggers, keyAlias: 'bench', concurrency });
  const step = async (label: string, fn: () => Promise<string>) => {
    const before = { client: http.stats().requests, server: cloud.stats().requests };
    const t = process.hrtime.bigint();
    const detail = await fn();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    const client = http.stats().requests - before.client;
    const server = cloud.stats().requests - before.server;
    console.log(
      `    ${label.padEnd(26)} ${s.toFixed(2).padStart(6)} s  ${String(client).padStart(5)} requests (server saw ${server}, retries so far ${http.stats().retries})  ${detail}`,
    );
  };
  console.log(`  write/read concurrency ${concurrency}, ${LATENCY_MS} ms latency per response:`);
  const t0 = process.hrtime.bigint();
  const desired = parseTriggerFile(yamlText, 'bench.yaml', { nowMs: Date.now() }).desired;
  const parseS = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `    parse+validate YAML file   ${parseS.toFixed(2).padStart(6)} s  (${(yamlText.length / 1e6).toFixed(1)} MB, ${GATEWAYS * PER_GATEWAY} triggers, ${(GATEWAYS * PER_GATEWAY) / 5} RRULEs)`,
  );
  let planned = (await plan({ desired })).plan;
  await step('plan (empty gateways)', async () => {
    planned = (await plan({ desired })).plan;
    return `${planned.summary.create} to create`;
  });
  await step('apply 5,000 creates', async () => {
    const r = await apply(planned);
    return `${r.applied} applied, ${r.failed} failed`;
  });
  await step('re-plan (no changes)', async () => {
    const p = (await plan({ desired })).plan;
    return `${p.summary.unchanged} unchanged, changes pending: ${p.changesPending}`;
  });
  await step('re-apply (no-op)', async () => {
    const r = await apply((await plan({ desired })).plan);
    return `${r.applied} applied (plan GETs included)`;
  });
  const edited = parse(50);
  await step('plan + apply 1% edit', async () => {
    const p = (await plan({ desired: edited })).plan;
    const r = await apply(p);
    return `${p.summary.update} updates planned, ${r.applied} applied`;
  });
  await http.close();
  await cloud.close();
}

async function main(): Promise<void> {
  console.log(`trigger sync: ${GATEWAYS} gateways × ${PER_GATEWAY} triggers against the local EKM cloud (in process)`);
  await run(8);
  await run(32);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
