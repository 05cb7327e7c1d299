import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import type { Reading } from '../../functions/core/readings/reading';
import { makeWriteReadings } from '../../functions/use-cases/write-readings';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { duckdbOverBytes, readWithHyparquet } from '../fakes/lake-readers';
import { windowOfKey } from '../fakes/lake-visible';

const T0 = Date.UTC(2026, 10, 25, 10, 30, 0);
const reading = (i: number, meter = '000350000900'): Reading => ({
  meter,
  timeMs: T0 + i * 60_000,
  good: true,
  protocol: 'v4',
  source: 'edge',
  via: 'site-1',
  fields: { kWh_Tot: 100 + i, RMS_Volts_Ln_1: 120 },
});

describe('local AWS stand-ins + S3ObjectStore + lake writer', () => {
  let aws: LocalAws;
  let store: S3ObjectStore;
  beforeAll(async () => {
    aws = await startLocalAws({ buckets: ['lake'] });
    store = S3ObjectStore.fromConfig({ bucket: 'lake', endpoint: aws.s3Endpoint });
  }, 60_000);
  afterAll(async () => aws?.close());

  it('stores, lists, reads and deletes objects on the S3-compatible server', async () => {
    await store.put('a/x.bin', new Uint8Array([1, 2, 3]));
    await store.put('a/y.bin', new Uint8Array([4]));
    expect(await store.list('a/')).toEqual([
      { key: 'a/x.bin', size: 3, etag: expect.any(String) },
      { key: 'a/y.bin', size: 1, etag: expect.any(String) },
    ]);
    expect(Array.from((await store.get('a/x.bin')) ?? [])).toEqual([1, 2, 3]);
    expect(await store.get('a/missing')).toBeUndefined();
    await store.delete(['a/x.bin', 'a/y.bin', 'a/never']);
    expect(await store.list('a/')).toEqual([]);
  });

  it('creates the shared state table idempotently on DynamoDB Local', async () => {
    const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
    await ensureStateTable(ddb, 'ekm-state');
    await ensureStateTable(ddb, 'ekm-state');
    const out = await ddb.send(new DescribeTableCommand({ TableName: 'ekm-state' }));
    expect(out.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });

  it('writes readings idempotently: a re-run with overlapping reads leaves each read once', async () => {
    // Prepare
    const write = makeWriteReadings({ objectStore: store, prefix: 'lake', clock: { now: () => T0 + 3_600_000 } });
    // Act: reads 0..39 (crossing the 11:00 hour), then 20..59 again, plus one malformed read
    const first = await write(
      Array.from({ length: 40 }, (_, i) => reading(i)),
      { via: 'site-1' },
    );
    const second = await write(
      [...Array.from({ length: 40 }, (_, i) => reading(i + 20)), { ...reading(0), meter: 'oops' }],
      { via: 'site-1' },
    );
    // Assess
    // Each write is an object of its own per hour window (write-readings.ts writeRunObject); the
    // query views keep one row per meter + time + source (test/unit/lake-run-objects.test.ts).
    expect(first.keys.map(windowOfKey)).toEqual([
      'lake/dataset=realtime/date=2026-11-25/origin=site-1/h10-s00.parquet',
      'lake/dataset=realtime/date=2026-11-25/origin=site-1/h11-s00.parquet',
    ]);
    expect(second.rejected).toHaveLength(1);
    const keys = (await store.list('lake/dataset=realtime/')).map((o) => o.key);
    expect(keys).toEqual(
      [...new Set([...first.keys, ...second.keys.filter((k) => k.includes('dataset=realtime'))])].sort(),
    );
    const files = await Promise.all(keys.map(async (k) => (await store.get(k))!));
    const hy = (await Promise.all(files.map(readWithHyparquet))).flat();
    expect(hy).toHaveLength(80);
    expect(new Set(hy.map((r) => Number((r.time as Date).getTime()))).size).toBe(60);
    const [duck] = await duckdbOverBytes(
      files,
      'SELECT count(*)::INT AS n, sum(kWh_Tot) AS s, count(DISTINCT source)::INT AS src FROM (SELECT DISTINCT ON (meter, "time", source) * FROM t)',
    );
    expect(duck).toEqual({ n: 60, s: Array.from({ length: 60 }, (_, i) => 100 + i).reduce((a, b) => a + b), src: 1 });
    const quarantined = await store.list('lake/dataset=quarantine/');
    expect(quarantined).toHaveLength(1);
    const q = await readWithHyparquet((await store.get(quarantined[0]!.key))!);
    expect(q[0]).toMatchObject({
      reason: expect.stringContaining('meter: expected a 12-digit meter id'),
      via: 'site-1',
    });
  });
});
