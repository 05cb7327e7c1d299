import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { DynamoIngestState } from '../../functions/adapters/dynamo-ingest-state';
import { dynamoClientFromConfig } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { edgeIngestFromConfig } from '../../functions/composition/edge';
import { type ProjectConfig, parseProjectConfig } from '../../functions/config/project-config';
import { systemClock } from '../../functions/ports/clock';
import { makeCompactLake } from '../../functions/use-cases/compact-lake';
import { type EdgeIngestServer, startEdgeIngestServer } from '../../local/aws/edge-ingest-server';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { type ObjectStoreProxy, startObjectStoreProxy } from '../fakes/object-store-proxy';

/**
 * The edge endpoint under object-store faults: a loopback proxy in front of s3rver holds back or
 * fails chosen PUTs; DynamoDB Local holds receipts and leases. Each test uses its own UTC date.
 */
const TOKEN = 'gw-token-site-1-0123456789';
const METERS = ['000300001463', '000000000026', '000300001464'];
const DAY = 86_400_000;
const TABLE = 'edge-fault-state';
const BUCKET = 'edge-fault-lake';
const LOCK = { pk: { S: 'LOCK#edge-ingest-site-1' }, sk: { S: 'LOCK' } };

/** Midnight UTC `daysAgo` days before today. */
const dayStart = (daysAgo: number) => Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reading(meter: string, timeMs: number, kWh = 12.5) {
  return {
    meter,
    timeMs,
    good: true,
    protocol: 'v4',
    source: 'edge',
    via: 'site-1',
    fields: { kWh_Tot: kWh, RMS_Watts_Tot: 1480 },
  };
}

describe('edge ingest under object-store faults (s3rver behind a fault proxy, DynamoDB Local)', () => {
  let aws: LocalAws;
  let proxy: ObjectStoreProxy;
  let config: ProjectConfig;
  let server: EdgeIngestServer;
  let shortLease: EdgeIngestServer;
  let store: S3ObjectStore;
  let dir: string;

  beforeAll(async () => {
    aws = await startLocalAws({ buckets: [BUCKET] });
    proxy = await startObjectStoreProxy(aws.s3Endpoint);
    config = parseProjectConfig(
      {
        version: 1,
        keys: [{ alias: 'demo', secret: { value: 'unused-key' } }],
        lake: { bucket: BUCKET, endpoint: proxy.url },
        state: { table: TABLE, endpoint: aws.dynamoEndpoint },
        edge: { gateways: [{ id: 'site-1', token: { value: TOKEN }, meters: METERS }] },
      },
      join(tmpdir(), 'edge-fault-config.yaml'),
    );
    server = await startEdgeIngestServer({ ingest: await edgeIngestFromConfig(config) });
    shortLease = await startEdgeIngestServer({
      ingest: await edgeIngestFromConfig(config, undefined, { leaseTtlMs: 1000 }),
    });
    store = S3ObjectStore.fromConfig({ bucket: BUCKET, endpoint: aws.s3Endpoint });
    dir = mkdtempSync(join(tmpdir(), 'edge-fault-lake-'));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await shortLease?.close();
    await proxy?.close();
    await aws?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (batch: { batchId: string; readings: unknown[] }, via: EdgeIngestServer = server) =>
    fetch(via.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ gateway: 'site-1', ...batch }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  /** What a query sees (the DuckDB `realtime` view over the mirrored lake) for one UTC date. */
  async function visible(date: string, view = 'realtime') {
    await syncLakeToDir(store, '', dir);
    const out = await queryLakeDir(
      dir,
      `SELECT meter, epoch_ms("time")::BIGINT AS t, kWh_Tot AS kwh FROM ${view} WHERE "date" = DATE '${date}' ORDER BY meter, t, kwh`,
    );
    return out.rows.map((r) => `${r.meter}@${r.t}=${r.kwh}`);
  }
  const expected = (readings: { meter: string; timeMs: number; fields: { kWh_Tot: number } }[]) =>
    readings.map((r) => `${r.meter}@${r.timeMs}=${r.fields.kWh_Tot}`).sort();

  it('never loses an acknowledged batch when a write outlives its lease and another delivery took over', async () => {
    // Prepare: batch A's object write is held for 3 s; meanwhile A's lease is gone (as after its
    // expiry) and batch B is delivered.
    const base = dayStart(2) + 10 * 3_600_000;
    const a = { batchId: 'late-a', readings: [0, 1, 2].map((i) => reading(METERS[0]!, base + i * 60_000)) };
    const b = { batchId: 'late-b', readings: [0, 1, 2].map((i) => reading(METERS[1]!, base + i * 60_000)) };
    const hold = proxy.rule({ match: `/date=${isoDate(base)}/`, delayMs: 3000, times: 1 });
    // Act
    const pendingA = post(a);
    await sleep(1000);
    await dynamoClientFromConfig(config.state!).send(new DeleteItemCommand({ TableName: TABLE, Key: LOCK }));
    const answerB = await post(b);
    const answerA = await pendingA;
    await proxy.settled();
    hold();
    // Assess: every batch answered 200 is in the lake.
    expect(answerB.status).toBe(200);
    const acked = [answerA.status === 200 ? a.readings : [], b.readings].flat();
    expect(await visible(isoDate(base))).toEqual(expect.arrayContaining(expected(acked)));
    expect((await visible(isoDate(base))).filter((r) => r.startsWith(METERS[1]!))).toEqual(expected(b.readings));
  }, 30_000);

  it('does not acknowledge a batch whose lease was taken over while its write was in flight; the re-send is taken', async () => {
    // Prepare
    const base = dayStart(3) + 9 * 3_600_000;
    const a = { batchId: 'fenced-a', readings: [0, 1, 2].map((i) => reading(METERS[0]!, base + i * 60_000)) };
    const hold = proxy.rule({ match: `/date=${isoDate(base)}/`, delayMs: 3000, times: 1 });
    const ddb = dynamoClientFromConfig(config.state!);
    const locks = new DynamoIngestState(ddb, TABLE);
    // Act: while A's PUT is held, its lease ends and another delivery holds it.
    const pendingA = post(a);
    await sleep(1000);
    await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: LOCK }));
    expect(await locks.acquireLock('edge-ingest-site-1', 'other-delivery', 60_000, Date.now())).toBe(true);
    const answerA = await pendingA;
    await proxy.settled();
    hold();
    await locks.releaseLock('edge-ingest-site-1', 'other-delivery');
    const resent = await post(a);
    // Assess
    expect(answerA).toMatchObject({ status: 503, body: { error: 'LEASE_LOST' } });
    expect(resent).toMatchObject({ status: 200, body: { accepted: 3, duplicate: false } });
    expect(await visible(isoDate(base))).toEqual(expected(a.readings));
  }, 30_000);

  it('renews the lease while a slow write is in flight: a second delivery waits (503) and is taken after', async () => {
    // Prepare: a 1 s lease, a write held 2.5 s
    const base = dayStart(4) + 9 * 3_600_000;
    const a = { batchId: 'slow-a', readings: [reading(METERS[0]!, base)] };
    const b = { batchId: 'slow-b', readings: [reading(METERS[1]!, base)] };
    const hold = proxy.rule({ match: `/date=${isoDate(base)}/`, delayMs: 2500, times: 1 });
    // Act
    const pendingA = post(a, shortLease);
    await sleep(1500);
    const firstB = await post(b, shortLease);
    const answerA = await pendingA;
    hold();
    const againB = await post(b, shortLease);
    // Assess
    expect(firstB).toMatchObject({ status: 503, body: { error: 'BUSY' } });
    expect(answerA.status).toBe(200);
    expect(againB.status).toBe(200);
    expect(await visible(isoDate(base))).toEqual(expected([...a.readings, ...b.readings]));
  }, 30_000);

  it('makes a 3-hour batch visible all at once: a failed object write answers 5xx with none of it in the lake', async () => {
    const statuses: number[] = [];
    for (const [k, daysAgo] of [
      [0, 5],
      [1, 6],
      [2, 7],
    ] as const) {
      // Prepare: 9 readings over 3 hours; every object PUT after the first k fails (retries too).
      const base = dayStart(daysAgo) + 12 * 3_600_000;
      const batch = {
        batchId: `three-hours-${k}`,
        readings: Array.from({ length: 9 }, (_, i) => reading(METERS[i % 3]!, base + Math.floor(i / 3) * 3_600_000)),
      };
      const fault = proxy.rule({ match: `/date=${isoDate(base)}/`, after: k, fail: true });
      // Act
      const answer = await post(batch);
      statuses.push(answer.status);
      fault();
      const rows = await visible(isoDate(base));
      const resent = await post(batch);
      // Assess: all or nothing, and the answer says which.
      if (answer.status === 200) expect(rows).toEqual(expected(batch.readings));
      else {
        expect(answer.status).toBeGreaterThanOrEqual(500);
        expect(rows).toEqual([]);
      }
      expect(resent.status).toBe(200);
      expect(await visible(isoDate(base))).toEqual(expected(batch.readings));
    }
    expect(statuses[0]).toBeGreaterThanOrEqual(500); // the failure path was taken
  }, 60_000);

  it('fails with 400 on a batch whose readings span two UTC dates, naming both, and writes nothing', async () => {
    const midnight = dayStart(8);
    const batch = {
      batchId: 'over-midnight',
      readings: [reading(METERS[0]!, midnight - 60_000), reading(METERS[0]!, midnight)],
    };
    const answer = await post(batch);
    expect(answer).toMatchObject({ status: 400, body: { error: 'BATCH_SPANS_UTC_DATES' } });
    expect(String(answer.body.message)).toContain(`${isoDate(midnight - 60_000)}, ${isoDate(midnight)}`);
    expect(await visible(isoDate(midnight - 60_000))).toEqual([]);
    expect(await visible(isoDate(midnight))).toEqual([]);
  });

  it('fails with 409 naming meter, time and field when a new batch changes an accepted reading, before and after compaction', async () => {
    // Prepare
    const t = dayStart(9) + 8 * 3_600_000;
    const date = isoDate(t);
    const first = { batchId: 'conflict-1', readings: [reading(METERS[0]!, t, 100.5)] };
    const changed = { batchId: 'conflict-2', readings: [reading(METERS[0]!, t, 777777)] };
    const repeat = { batchId: 'conflict-3', readings: [reading(METERS[0]!, t, 100.5), reading(METERS[1]!, t, 7)] };
    // Act
    const accepted = await post(first);
    const refused = await post(changed);
    const repeated = await post(repeat);
    const objectsBeforeCompaction = await visible(date, 'realtime_objects');
    const viewBeforeCompaction = await visible(date);
    const compact = makeCompactLake({
      objectStore: store,
      state: new DynamoIngestState(dynamoClientFromConfig(config.state!), TABLE),
      clock: systemClock,
    });
    const compacted = await compact({ origins: ['site-1'], date });
    const refusedAfter = await post({ ...changed, batchId: 'conflict-4' });
    // Assess
    expect(accepted.status).toBe(200);
    expect(refused).toMatchObject({ status: 409, body: { error: 'READING_CONFLICT' } });
    const issue = (refused.body.issues as { path: string; message: string }[])[0]!;
    expect(issue.path).toBe('readings[0].fields.kWh_Tot');
    expect(issue.message).toContain(`meter ${METERS[0]} at ${new Date(t).toISOString()}`);
    expect(issue.message).toMatch(/kWh_Tot was accepted as 100\.5, this batch has 777777/);
    expect(repeated.status).toBe(200);
    expect(objectsBeforeCompaction).toHaveLength(3); // the repeat's copy sits in its own object...
    expect(viewBeforeCompaction).toEqual([`${METERS[1]}@${t}=7`, `${METERS[0]}@${t}=100.5`].sort());
    expect(compacted.days).toEqual([expect.objectContaining({ date, inputs: 2, rows: 2 })]);
    expect(await visible(date, 'realtime_objects')).toEqual(viewBeforeCompaction); // ...until compaction
    expect(refusedAfter).toMatchObject({ status: 409, body: { error: 'READING_CONFLICT' } });
    expect(await visible(date)).toEqual(viewBeforeCompaction);
  }, 30_000);
});
