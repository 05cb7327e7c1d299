import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { billMonthFromFiles } from '../../functions/composition/billing';
import { type LakeWiring, openLake } from '../../functions/composition/lake';
import { parseProjectConfig } from '../../functions/config/project-config';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { DEMO_ACCOUNT_KEY, demoAccount } from '../../local/ekm-cloud/identities';
import { type FakeCloud, manualClock, startFakeCloud } from '../../local/ekm-cloud/server';
import { RECORD } from '../fixtures/billing/close-fixture';

/**
 * Billing from the lake end to end: the local EKM cloud's simulated meters → `ingest summary` for a
 * past month into the local S3 server → compaction (which derives the `intervals` dataset) → `bill`
 * with no readings file (LakeReadingsSource). Each tenant's kWh is checked against the register
 * difference across the month read from the summary Parquet files by DuckDB, a second reader.
 */
jest.setTimeout(240_000);

const NOW = Date.UTC(2026, 3, 2, 6, 0, 0);
const clock = manualClock(NOW);
const account = demoAccount();
const KEY = { alias: 'demo', key: DEMO_ACCOUNT_KEY };
const meters = account.gateways.flatMap((g) => g.meters.map((m) => m.id));
let aws: LocalAws;
let cloud: FakeCloud;
let lake: LakeWiring;
let dir: string;

beforeAll(async () => {
  [aws, cloud] = await Promise.all([
    startLocalAws({ buckets: ['bill-lake'] }),
    startFakeCloud({ account, clock, seed: 5, historyStartMs: Date.UTC(2026, 1, 20), badReadRate: 0 }),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'billing-lake-'));
}, 60_000);
afterAll(async () => {
  lake?.close();
  await Promise.all([aws?.close(), cloud?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('billing from the lake', () => {
  it("bills each tenant the kWh DuckDB sums from the lake's Parquet files, and the totals agree", async () => {
    // Prepare: a month of 15-minute summaries of the simulated meters in the local lake, compacted.
    const lakeConfig = { bucket: 'bill-lake', prefix: 'lake', endpoint: aws.s3Endpoint };
    const config = parseProjectConfig(
      {
        version: 1,
        ekm: { realtimeUrl: cloud.url, summaryUrl: cloud.url, accountUrl: cloud.url, triggerUrl: cloud.url },
        keys: [{ alias: 'demo', secret: { value: DEMO_ACCOUNT_KEY } }],
        lake: lakeConfig,
        state: { table: 'billing-lake', endpoint: aws.dynamoEndpoint },
      },
      'test-config.yaml',
    );
    await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), 'billing-lake');
    lake = openLake(config, { clock, shards: 2, httpOptions: { sleep: async () => {}, baseDelayMs: 1 } });
    await lake.ingestSummary({ key: KEY, fromMs: Date.UTC(2026, 1, 27), toMs: Date.UTC(2026, 3, 2) });
    for (let d = Date.UTC(2026, 1, 27); d < Date.UTC(2026, 3, 2); d += 86_400_000)
      await lake.compact({ origins: ['demo'], date: new Date(d).toISOString().slice(0, 10) });
    const billed: string[] = meters.slice(0, 3);
    writeFileSync(join(dir, 'flat.json'), JSON.stringify(RECORD));
    writeFileSync(
      join(dir, 'billing.yaml'),
      [
        'version: 1',
        'currency: USD',
        'properties:',
        '  - id: sim',
        '    timezone: UTC',
        '    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]',
        '    tenants:',
        ...billed.map((m, i) => `      - { id: t${i + 1}, meters: ["${m}"], plan: flat }`),
      ].join('\n'),
    );

    // Act
    const result = await billMonthFromFiles({ billingFile: join(dir, 'billing.yaml'), lake: lakeConfig })({
      month: '2026-03',
    });

    // Assess: DuckDB over a mirror of the lake: the forward register difference across March.
    const mirror = join(dir, 'mirror');
    await syncLakeToDir(lake.objectStore, 'lake', mirror);
    const q = await queryLakeDir(
      mirror,
      `SELECT meter,
         arg_min(kWh_Tot_First - coalesce(Rev_kWh_Tot_First, 0), "time") FILTER (WHERE "time" >= TIMESTAMPTZ '2026-04-01 00:00:00+00') -
         arg_min(kWh_Tot_First - coalesce(Rev_kWh_Tot_First, 0), "time") FILTER (WHERE "time" >= TIMESTAMPTZ '2026-03-01 00:00:00+00') AS kwh,
         (SELECT count(*) FROM intervals i WHERE i.meter = s.meter AND i."time" >= TIMESTAMPTZ '2026-03-01 00:00:00+00' AND i."time" < TIMESTAMPTZ '2026-04-01 00:00:00+00') AS intervals
       FROM summary s WHERE report = '15' GROUP BY meter ORDER BY meter`,
    );
    const byMeter = new Map(
      q.rows.map((r) => [String(r.meter), { kwh: Number(r.kwh), intervals: Number(r.intervals) }]),
    );
    expect(result.ok).toBe(true);
    expect(result.invoices).toHaveLength(3);
    for (const inv of result.invoices) {
      const truth = byMeter.get(inv.meters[0]!)!;
      expect(truth.intervals).toBeGreaterThan(31 * 90);
      expect(inv.kWh).toBeGreaterThan(0);
      expect(Math.abs(inv.kWh - truth.kwh)).toBeLessThan(0.01);
    }
    const total = result.invoices.reduce((s, i) => s + i.kWh, 0);
    const truthTotal = billed.reduce((s, m) => s + byMeter.get(m)!.kwh, 0);
    expect(Math.abs(total - truthTotal)).toBeLessThan(0.03);
  });
});
