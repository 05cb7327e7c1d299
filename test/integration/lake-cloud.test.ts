import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import type { DynamoIngestState } from '../../functions/adapters/dynamo-ingest-state';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { type LakeWiring, openLake } from '../../functions/composition/lake';
import { parseProjectConfig } from '../../functions/config/project-config';
import { decodeRows } from '../../functions/core/parquet/encode';
import type { LakeRow } from '../../functions/core/parquet/rows';
import type { IngestState } from '../../functions/ports/ingest-state';
import { makeIngestRealtime } from '../../functions/use-cases/ingest-realtime';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { DEMO_ACCOUNT_KEY, demoAccount } from '../../local/ekm-cloud/identities';
import { type FakeCloud, manualClock, startFakeCloud } from '../../local/ekm-cloud/server';
import { simulateReads } from '../../local/ekm-cloud/simulator';
import { readWithHyparquet } from '../fakes/lake-readers';
import { visibleRows } from '../fakes/lake-visible';

/**
 * The lake end to end against real local services: the local EKM cloud (with injected faults),
 * s3rver, DynamoDB Local; the lake is compared with the simulator's own series.
 */
const NOW = Date.UTC(2026, 10, 24, 18, 0, 30);
const clock = manualClock(NOW);
const account = demoAccount();
const KEY = { alias: 'demo', key: DEMO_ACCOUNT_KEY };
const meters = account.gateways.flatMap((g) => g.meters);
let aws: LocalAws;
let cloud: FakeCloud;
let tableN = 0;

beforeAll(async () => {
  [aws, cloud] = await Promise.all([
    startLocalAws({ buckets: ['lake-a', 'lake-b', 'lake-c'] }),
    startFakeCloud({ account, clock, seed: 11 }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([aws?.close(), cloud?.close()]);
});

async function freshLake(bucket: string): Promise<LakeWiring> {
  const table = `state-${++tableN}`;
  const config = parseProjectConfig(
    {
      version: 1,
      ekm: {
        realtimeUrl: cloud.url,
        summaryUrl: cloud.url,
        accountUrl: cloud.url,
        triggerUrl: cloud.url,
        timeoutMs: 400,
        maxRetries: 12,
      },
      keys: [{ alias: 'demo', secret: { value: DEMO_ACCOUNT_KEY } }],
      lake: { bucket, prefix: 'lake', endpoint: aws.s3Endpoint },
      state: { table, endpoint: aws.dynamoEndpoint },
    },
    'test-config.yaml',
  );
  await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), table);
  return openLake(config, { clock, shards: 2, httpOptions: { sleep: async () => {}, baseDelayMs: 1 } });
}

/** What a query answers: one row per meter + time + source, as the views (test/fakes/lake-visible.ts). */
async function realtimeRows(lake: LakeWiring): Promise<LakeRow[]> {
  return visibleRows(lake.objectStore, 'lake/dataset=realtime/');
}

/** The simulator's series for every meter: from the oldest read of the first poll's ring to now. */
function truth(firstPollMs: number): string[] {
  const sim = { seed: cloud.seed, historyStartMs: cloud.historyStartMs, badReadRate: cloud.badReadRate };
  return meters
    .flatMap((m) => {
      const oldest = simulateReads(m, firstPollMs - 1001 * 60_000, firstPollMs, sim).slice(-1000)[0]!.timeMs;
      // simulateReads covers (from, to]: start just before the oldest read.
      return simulateReads(m, oldest - 1, clock.now(), sim).map((r) => `${r.meter}@${r.timeMs}@${r.good}`);
    })
    .sort();
}
const keysOf = (rows: LakeRow[]) =>
  rows
    .filter((r) => r.source === 'realtime')
    .map((r) => `${r.meter}@${r.time}@${r.good}`)
    .sort();

describe('lake ingest against the local EKM cloud, S3 and DynamoDB Local', () => {
  it('every injected fault: the lake ends with exactly the simulated reads, once each', async () => {
    // Prepare
    clock.set(NOW);
    const lake = await freshLake('lake-a');
    cloud.setFaults({
      seed: 3,
      // Every request fault scripted at least once, then a seeded mix of all of them.
      sequence: ['429', '5xx', 'reset', 'truncate', 'slow', 'none', '5xx', 'truncate', 'reset'],
      rate429: 0.08,
      retryAfterSec: 0,
      rate5xx: 0.08,
      rateReset: 0.05,
      rateTruncate: 0.08,
      rateSlowBody: 0.04,
      slowBodyMs: 1500,
      rateOutOfOrder: 0.3,
      rateRepeat: 0.3,
    });
    // Act: three polls, minutes apart
    for (const step of [0, 7, 11]) {
      clock.advance(step * 60_000);
      await lake.ingestRealtime({ key: KEY });
    }
    // Assess
    const faults = cloud.stats().faults;
    cloud.setFaults({});
    expect(Object.entries(faults).filter(([f, n]) => f !== 'none' && n === 0)).toEqual([]);
    const rows = await realtimeRows(lake);
    expect(keysOf(rows)).toEqual(truth(NOW));
    expect(rows.some((r) => r.good === false)).toBe(true);
    expect((await lake.state.listRuns('demo')).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    // A second, independent reader agrees on an object's rows.
    const [first] = await lake.objectStore.list('lake/dataset=realtime/');
    const bytes = (await lake.objectStore.get(first!.key))!;
    expect((await readWithHyparquet(bytes)).map((r) => (r.time as Date).getTime())).toEqual(
      decodeRows(bytes).map((r) => r.time),
    );
    await lake.close();
  }, 60_000);

  it('killed between the Parquet write and the DynamoDB cursor update: the re-run leaves no duplicate and no gap', async () => {
    // Prepare
    clock.set(NOW);
    const lake = await freshLake('lake-b');
    await lake.ingestRealtime({ key: KEY });
    const crashing: IngestState = Object.create(lake.state) as DynamoIngestState;
    crashing.advanceCursors = async () => {
      throw new Error('process killed before the cursor update');
    };
    const crashingIngest = makeIngestRealtime({
      account: lake.ekm.account,
      realtime: lake.ekm.realtime,
      summary: lake.ekm.summary,
      lake: lake.writer,
      state: crashing,
      clock,
      shards: 2,
    });
    clock.advance(20 * 60_000);
    const cursorsBefore = await lake.state.getCursors(
      'realtime',
      'demo',
      meters.map((m) => m.id),
    );
    // Act
    await expect(crashingIngest({ key: KEY })).rejects.toThrow('process killed');
    const cursorsAfterCrash = await lake.state.getCursors(
      'realtime',
      'demo',
      meters.map((m) => m.id),
    );
    clock.advance(2 * 60_000);
    await lake.ingestRealtime({ key: KEY });
    // Assess
    expect(cursorsAfterCrash).toEqual(cursorsBefore);
    expect(keysOf(await realtimeRows(lake))).toEqual(truth(NOW));
    await lake.close();
  }, 60_000);

  it('heals an outage longer than the ring from summaries, reports it, compacts and answers SQL', async () => {
    // Prepare
    clock.set(NOW);
    const lake = await freshLake('lake-c');
    await lake.ingestRealtime({ key: KEY });
    // Act: 30 hours without ingest (the ring holds ~16.7 h), then summaries, ingest, compaction
    clock.advance(30 * 3_600_000);
    const result = await lake.ingestRealtime({ key: KEY });
    const summary = await lake.ingestSummary({ key: KEY, fromMs: NOW - 3_600_000, toMs: NOW + 3_600_000 });
    const compacted = await lake.compact();
    // Assess
    expect(result.gaps).toHaveLength(meters.length);
    const gap = result.gaps[0]!;
    expect(gap.toMs - gap.fromMs).toBeGreaterThan(13 * 3_600_000);
    expect(gap.filledBuckets).toBeGreaterThan(40);
    expect(await lake.state.listGaps('demo')).toHaveLength(meters.length);
    expect(summary.buckets).toBe(meters.length * 8);
    expect(compacted.days.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'lake-q-'));
    try {
      await syncLakeToDir(lake.objectStore, 'lake', dir);
      const bySource = await queryLakeDir(
        dir,
        'SELECT source, count(*)::INT AS n FROM realtime GROUP BY source ORDER BY source',
      );
      expect(bySource.rows).toEqual([
        { source: 'realtime', n: expect.any(Number) },
        { source: 'summary', n: result.gapFillReadings },
      ]);
      const dups = await queryLakeDir(
        dir,
        'SELECT count(*)::INT AS n FROM (SELECT meter, time, source FROM realtime GROUP BY ALL HAVING count(*) > 1)',
      );
      expect(dups.rows).toEqual([{ n: 0 }]);
      const daily = await queryLakeDir(
        dir,
        `SELECT meter, sum(kWh_Tot_Diff) AS kwh FROM summary GROUP BY meter ORDER BY meter`,
      );
      expect(daily.rows).toHaveLength(meters.length);
      const empty = await queryLakeDir(dir, 'SELECT count(*)::INT AS n FROM quarantine');
      expect(empty.rows).toEqual([{ n: 0 }]);
      await expect(queryLakeDir(dir, 'SELECT nope FROM realtime')).rejects.toThrow(
        /views: realtime, summary, quarantine/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await lake.close();
  }, 60_000);
});
