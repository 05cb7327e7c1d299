import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoIngestState } from '../../functions/adapters/dynamo-ingest-state';
import type { GapRecord, IngestState, RunRecord } from '../../functions/ports/ingest-state';
import { dynamoLocalForContract } from '../fakes/dynamo-contract';
import { InMemoryIngestState } from '../fakes/in-memory-ingest-state';

// One contract, two implementations (ports/ingest-state.ts): the fake used by fast tests must keep
// the same rules as the DynamoDB state the product runs on.
const freshTable = dynamoLocalForContract('ingest-contract');
const implementations: [string, () => Promise<IngestState>][] = [
  ['in memory', async () => new InMemoryIngestState()],
  [
    'DynamoDB Local',
    async () => {
      const { ddb, table } = await freshTable();
      return new DynamoIngestState(ddb, table);
    },
  ],
];

// Start of today (UTC): run and lease items carry a TTL from these times, and DynamoDB Local's TTL
// sweeper deletes items whose `expiresAt` has passed, so a fixed date in the past makes the suite flaky.
const T0 = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const run = (runId: string, startedAtMs: number, extra: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  job: 'ingest-realtime',
  alias: 'elm',
  startedAtMs,
  status: 'running',
  summary: { meters: 2 },
  ...extra,
});

describe.each(implementations)('ingest state contract: %s', (_name, make) => {
  let state: IngestState;
  beforeEach(async () => {
    state = await make();
  });

  it('returns only the cursors of meters ever advanced, per dataset and alias', async () => {
    await state.advanceCursors('realtime', 'elm', new Map([['300001', T0]]), 'r1');
    await state.advanceCursors('summary', 'elm', new Map([['300001', T0 + 5]]), 'r1');
    await state.advanceCursors('realtime', 'oak', new Map([['300001', T0 + 7]]), 'r1');
    const got = await state.getCursors('realtime', 'elm', ['300001', '300002', '300001']);
    expect([...got]).toEqual([['300001', T0]]);
    expect([...(await state.getCursors('summary', 'elm', ['300001']))]).toEqual([['300001', T0 + 5]]);
    expect([...(await state.getCursors('summary', 'oak', ['300001']))]).toEqual([]);
    expect([...(await state.getCursors('realtime', 'elm', []))]).toEqual([]);
  });

  it('never moves a cursor backwards, meter by meter', async () => {
    await state.advanceCursors(
      'realtime',
      'elm',
      new Map([
        ['a', T0 + 100],
        ['b', T0 + 100],
      ]),
      'r1',
    );
    await state.advanceCursors(
      'realtime',
      'elm',
      new Map([
        ['a', T0 + 50],
        ['b', T0 + 200],
        ['c', T0],
      ]),
      'r2',
    );
    await state.advanceCursors('realtime', 'elm', new Map([['a', T0 + 100]]), 'r3');
    const got = await state.getCursors('realtime', 'elm', ['a', 'b', 'c']);
    expect(Object.fromEntries(got)).toEqual({ a: T0 + 100, b: T0 + 200, c: T0 });
  });

  it('keeps the highest cursor under concurrent writers', async () => {
    const times = Array.from({ length: 20 }, (_, i) => T0 + ((i * 7) % 20));
    await Promise.all(times.map((t, i) => state.advanceCursors('realtime', 'elm', new Map([['m', t]]), `r${i}`)));
    expect((await state.getCursors('realtime', 'elm', ['m'])).get('m')).toBe(T0 + 19);
  });

  it('reads many meters at once (more than one DynamoDB batch)', async () => {
    const meters = Array.from({ length: 250 }, (_, i) => `3000${String(i).padStart(4, '0')}`);
    await state.advanceCursors('realtime', 'elm', new Map(meters.map((m, i) => [m, T0 + i])), 'r1');
    const got = await state.getCursors('realtime', 'elm', meters);
    expect(got.size).toBe(250);
    expect(got.get(meters[249]!)).toBe(T0 + 249);
  }, 30_000);

  it('lists runs newest first, replaces a run put again and honours the limit', async () => {
    await state.putRun(run('r2', T0 + 2000));
    await state.putRun(run('r1', T0 + 1000));
    await state.putRun(run('r3', T0 + 3000, { job: 'compact' }));
    await state.putRun(run('other', T0 + 4000, { alias: 'oak' }));
    await state.putRun(
      run('r2', T0 + 2000, { status: 'ok', finishedAtMs: T0 + 2500, summary: { meters: 2, reads: 9 } }),
    );
    const runs = await state.listRuns('elm');
    expect(runs.map((r) => r.runId)).toEqual(['r3', 'r2', 'r1']);
    expect(runs[1]).toEqual({
      runId: 'r2',
      job: 'ingest-realtime',
      alias: 'elm',
      startedAtMs: T0 + 2000,
      finishedAtMs: T0 + 2500,
      status: 'ok',
      summary: { meters: 2, reads: 9 },
    });
    expect(runs[0]?.job).toBe('compact');
    expect((await state.listRuns('elm', 2)).map((r) => r.runId)).toEqual(['r3', 'r2']);
    expect(await state.listRuns('ash')).toEqual([]);
  });

  it('reads a run stored without a summary back with an empty one', async () => {
    await state.putRun({ runId: 'r1', job: 'ingest-summary', alias: 'elm', startedAtMs: T0, status: 'running' });
    expect(await state.listRuns('elm')).toEqual([
      { runId: 'r1', job: 'ingest-summary', alias: 'elm', startedAtMs: T0, status: 'running', summary: {} },
    ]);
  });

  it('marks a stale running run failed once, and leaves finished or unknown runs alone', async () => {
    const stale = run('r1', T0);
    await state.putRun(stale);
    await state.putRun(run('r2', T0 + 10, { status: 'ok', finishedAtMs: T0 + 20 }));
    expect(await state.failStaleRun(stale, 'lease lapsed', T0 + 999)).toBe(true);
    expect(await state.failStaleRun(stale, 'again', T0 + 1999)).toBe(false);
    expect(await state.failStaleRun(run('r2', T0 + 10), 'x', T0 + 999)).toBe(false);
    expect(await state.failStaleRun(run('ghost', T0 + 5), 'x', T0 + 999)).toBe(false);
    const runs = await state.listRuns('elm');
    expect(runs.map((r) => [r.runId, r.status])).toEqual([
      ['r2', 'ok'],
      ['r1', 'failed'],
    ]);
    expect(runs[1]).toMatchObject({ finishedAtMs: T0 + 999, summary: { meters: 2, error: 'lease lapsed' } });
  });

  it('keeps at most 500 characters of a stale run reason', async () => {
    const stale = run('r1', T0);
    await state.putRun(stale);
    await state.failStaleRun(stale, 'x'.repeat(800), T0 + 1);
    expect((await state.listRuns('elm'))[0]?.summary?.error).toBe('x'.repeat(500));
  });

  it('records one gap per meter and start, sorted by meter then start', async () => {
    const gap = (meter: string, fromMs: number, filledBuckets = 4): GapRecord => ({
      alias: 'elm',
      meter,
      fromMs,
      toMs: fromMs + 3_600_000,
      filledBuckets,
      runId: 'r1',
    });
    await state.recordGap(gap('300002', T0));
    await state.recordGap(gap('300001', T0 + 1));
    await state.recordGap(gap('300001', T0));
    await state.recordGap(gap('300001', T0, 7));
    await state.recordGap({ ...gap('300001', T0), alias: 'oak' });
    expect(await state.listGaps('elm')).toEqual([gap('300001', T0, 7), gap('300001', T0 + 1), gap('300002', T0)]);
    expect(await state.listGaps('ash')).toEqual([]);
  });

  it('gives a lease to one owner at a time; the holder renews it; it is free once expired', async () => {
    expect(await state.acquireLock('ingest#elm', 'run-1', 1000, 10_000)).toBe(true);
    expect(await state.acquireLock('ingest#elm', 'run-2', 1000, 10_500)).toBe(false);
    // At the very end of the lease it is still held.
    expect(await state.acquireLock('ingest#elm', 'run-2', 1000, 11_000)).toBe(false);
    expect(await state.acquireLock('ingest#elm', 'run-1', 1000, 10_900)).toBe(true);
    expect(await state.getLock('ingest#elm')).toEqual({ name: 'ingest#elm', owner: 'run-1', leaseUntilMs: 11_900 });
    expect(await state.acquireLock('ingest#oak', 'run-2', 1000, 10_900)).toBe(true);
    // Expired: another owner takes it, and the expired lease is still reported until then.
    expect(await state.getLock('ingest#elm')).toMatchObject({ owner: 'run-1' });
    expect(await state.acquireLock('ingest#elm', 'run-2', 1000, 11_901)).toBe(true);
    expect(await state.getLock('ingest#elm')).toEqual({ name: 'ingest#elm', owner: 'run-2', leaseUntilMs: 12_901 });
  });

  it('releases a lease only for its owner', async () => {
    expect(await state.acquireLock('ingest#elm', 'run-1', 1000, 10_000)).toBe(true);
    await state.releaseLock('ingest#elm', 'run-2');
    await state.releaseLock('ingest#none', 'run-1');
    expect((await state.getLock('ingest#elm'))?.owner).toBe('run-1');
    await state.releaseLock('ingest#elm', 'run-1');
    expect(await state.getLock('ingest#elm')).toBeUndefined();
    expect(await state.acquireLock('ingest#elm', 'run-2', 1000, 10_001)).toBe(true);
  });

  it('lets exactly one of many concurrent owners take a free lease', async () => {
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => state.acquireLock('ingest#race', `run-${i}`, 1000, 10_000)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await state.getLock('ingest#race'))?.owner).toBe(`run-${won.indexOf(true)}`);
  });
});

describe('DynamoDB cursor pages', () => {
  it('keeps 10,000 cursors in at most 64 items, reads cursors of the one-item-per-meter layout, and moves them into pages', async () => {
    // Prepare: two meters with a cursor in the earlier layout (one item per meter).
    const { ddb, table } = await freshTable();
    const state = new DynamoIngestState(ddb, table);
    const pk = 'CURSOR#realtime#elm';
    for (const [meter, lastMs] of [
      ['000300000001', 1_000],
      ['000300000002', 2_000],
    ] as const)
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: pk }, sk: { S: `METER#${meter}` }, lastMs: { N: String(lastMs) } },
        }),
      );
    const meters = Array.from({ length: 10_000 }, (_, i) => `0003${String(i + 1).padStart(8, '0')}`);
    // Act
    const before = await state.getCursors('realtime', 'elm', meters);
    await state.advanceCursors('realtime', 'elm', new Map(meters.map((m, i) => [m, 5_000 + i])), 'run-1');
    await state.advanceCursors('realtime', 'elm', new Map([['000300000002', 1_500]]), 'run-2');
    const after = await state.getCursors('realtime', 'elm', meters);
    // Assess
    expect([...before].sort()).toEqual([
      ['000300000001', 1_000],
      ['000300000002', 2_000],
    ]);
    expect(after.size).toBe(10_000);
    expect(after.get('000300000002')).toBe(5_001);
    expect(after.get(meters[9_999]!)).toBe(14_999);
    const items = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :page)',
        ExpressionAttributeValues: { ':pk': { S: pk }, ':page': { S: 'PAGE#' } },
        Select: 'COUNT',
      }),
    );
    expect(items.Count).toBeLessThanOrEqual(64);
    expect(items.Count).toBeGreaterThan(32);
  });
});
