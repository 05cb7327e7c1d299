import { parseProjectConfig } from '../../functions/config/project-config';
import { encodeIngestUnit, parseIngestUnit, planIngestUnits } from '../../functions/core/ekm/ingest-units';
import { realtimeLeases } from '../../functions/core/leases';
import { shardOf } from '../../functions/core/parquet/object-keys';
import { makeCompactLake, writerLeases } from '../../functions/use-cases/compact-lake';
import { makeIngestRealtime } from '../../functions/use-cases/ingest-realtime';
import { runLeasesOf } from '../../functions/use-cases/unlock-runs';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { parseStageConfig } from '../../lib/config/stage-config';
import { InMemoryIngestState } from '../fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { visibleRows } from '../fakes/lake-visible';
import { RingEkmApi } from '../fakes/ring-ekm-api';

/** One key's meters on a fake EKM ring, a lake writer with 2 shards, the ingest, and the leases it takes. */
function splitKey(meters: readonly string[], ring: number, realtimeShards?: (alias: string) => number) {
  const START = Date.UTC(2026, 10, 20);
  let now = START + 300 * 60_000;
  const clock = { now: () => now };
  const ekm = new RingEkmApi(
    meters.map((meter) => ({ meter, protocol: 'v4' as const })),
    clock.now,
    START,
    ring,
  );
  const store = new InMemoryObjectStore();
  const state = new InMemoryIngestState();
  const locks: string[] = [];
  const acquire = state.acquireLock.bind(state);
  state.acquireLock = async (name, owner, ttlMs, nowMs) => {
    locks.push(name);
    return acquire(name, owner, ttlMs, nowMs);
  };
  let n = 0;
  const ingest = makeIngestRealtime({
    account: ekm,
    realtime: ekm,
    summary: ekm,
    lake: makeLakeWriter({ objectStore: store, prefix: 'lake', clock, shards: 2 }),
    state,
    clock,
    shards: 2,
    newRunId: () => `run-${++n}`,
    ringSize: ring,
    ...(realtimeShards ? { realtimeShards } : {}),
  });
  const setNow = (ms: number) => {
    now = ms;
  };
  return {
    START,
    clock,
    setNow,
    ekm,
    store,
    state,
    ingest,
    key: { alias: 'large', key: 'MTAxMDoyMDIw' },
    locks,
    acquire,
  };
}

/**
 * A key with many meters split into parts by meter shard: one queue message and one worker run per
 * part, each under its own lease; compaction and unlock take every part's lease.
 */
describe('realtime ingest parts (realtimeShards)', () => {
  it('plans one unit per part of a split key, and reads them back from their message bodies', () => {
    const units = planIngestUnits(['small', { alias: 'large', realtimeShards: 4 }]);
    expect(units).toEqual([
      { keyAlias: 'large', shard: { index: 0, count: 4 } },
      { keyAlias: 'large', shard: { index: 1, count: 4 } },
      { keyAlias: 'large', shard: { index: 2, count: 4 } },
      { keyAlias: 'large', shard: { index: 3, count: 4 } },
      { keyAlias: 'small' },
    ]);
    for (const unit of units) expect(parseIngestUnit(encodeIngestUnit(unit))).toEqual(unit);
    expect(encodeIngestUnit(units[1]!)).toBe('{"keyAlias":"large","shard":{"index":1,"count":4}}');
    expect(() => planIngestUnits([{ alias: 'a', realtimeShards: 3 }])).toThrow('must be one of 1, 2, 4, 8, 16, 32, 64');
  });

  it.each([
    ['{"keyAlias":"a","shard":{"index":2,"count":2}}', 'index must be a whole number from 0 to 1'],
    ['{"keyAlias":"a","shard":{"index":0,"count":3}}', 'count must be one of 2, 4'],
    ['{"keyAlias":"a","shard":{"index":0,"count":1}}', 'count must be one of 2, 4'],
    ['{"keyAlias":"a","shard":7}', 'expected {index, count}'],
  ])('refuses the body %s', (body, message) => {
    expect(() => parseIngestUnit(body)).toThrow(message);
  });

  it('names a lease per part; compaction and unlock take them all', () => {
    expect(realtimeLeases('large', 1)).toEqual(['ingest-realtime#large']);
    expect(realtimeLeases('large', 2)).toEqual([
      'ingest-realtime#large',
      'ingest-realtime#large#s00of02',
      'ingest-realtime#large#s01of02',
    ]);
    expect(writerLeases('large', 2)).toEqual([...realtimeLeases('large', 2), 'edge-ingest-large']);
    expect(runLeasesOf('large', 2).map((l) => l.name)).toEqual([...realtimeLeases('large', 2), 'ingest-summary#large']);
  });

  it('is configured per key in the project file and the stage config, one of 1, 2, 4 … 64', () => {
    const keys = [{ alias: 'large', secret: { env: 'K' }, realtimeShards: 8 }];
    expect(parseProjectConfig({ version: 1, keys }, 'cfg.yaml').keys[0]?.realtimeShards).toBe(8);
    expect(() => parseProjectConfig({ version: 1, keys: [{ ...keys[0], realtimeShards: 3 }] }, 'cfg.yaml')).toThrow(
      /realtimeShards/,
    );
    const stageKey = { alias: 'large', secret: { secretsManager: 's' } };
    expect(parseStageConfig({ keys: [{ ...stageKey, realtimeShards: 4 }] }).keys[0]?.realtimeShards).toBe(4);
    expect(() => parseStageConfig({ keys: [{ ...stageKey, realtimeShards: 5 }] })).toThrow(
      'keys[0].realtimeShards must be one of 1, 2, 4, 8, 16, 32, 64, got 5',
    );
  });

  it('parts run at once, each ingests only its meters under its own lease, together the whole key once', async () => {
    // Prepare: six meters of one key, two parts
    const meters = ['000350000900', '000350000901', '000350000902', '000350000903', '000350000904', '000350000905'];
    const { clock, setNow, store, state, ingest, key, locks, acquire } = splitKey(meters, 200);
    // Act
    const parts = await Promise.all([0, 1].map((index) => ingest({ key, shard: { index, count: 2 } })));
    // Assess
    const part0 = meters.filter((m) => shardOf(m, 2) === 0);
    expect(part0.length).toBeGreaterThan(0);
    expect(part0.length).toBeLessThan(meters.length);
    expect(parts.map((p) => p.meters)).toEqual([part0.length, meters.length - part0.length]);
    expect([...new Set(locks)].sort()).toEqual(['ingest-realtime#large#s00of02', 'ingest-realtime#large#s01of02']);
    expect((await state.listRuns('large')).map((r) => r.status)).toEqual(['ok', 'ok']);
    const rows = await visibleRows(store, 'lake/dataset=realtime/');
    expect([...new Set(rows.map((r) => r.meter))].sort()).toEqual(meters);
    expect(rows.length).toBe(parts[0]!.reads + parts[1]!.reads);

    // Act: a part is running (its lease held) when compaction starts
    setNow(clock.now() + 24 * 60 * 60_000);
    const now = clock.now();
    await state.putRun({
      runId: 'part-1',
      job: 'ingest-realtime',
      alias: 'large',
      startedAtMs: now,
      status: 'running',
    });
    await acquire('ingest-realtime#large#s01of02', 'part-1', 60_000, now);
    const compact = makeCompactLake({ objectStore: store, prefix: 'lake', state, clock, realtimeShards: () => 2 });
    // Assess: compaction waits for it and leaves the running part alone
    await expect(compact({ origins: ['large'] })).rejects.toMatchObject({ code: 'INGEST_LOCKED' });
    expect((await state.listRuns('large')).find((r) => r.runId === 'part-1')?.status).toBe('running');
    expect(await state.getLock('ingest-realtime#large')).toBeUndefined();
  });

  it.each([[2, 'one shard per part: each part merges only into its own compacted day object']])(
    'late reads of two parts merged into a compacted day at once are all kept (%p shards, %s)',
    async (shards) => {
      // Prepare: a compacted day holding reads of meters of both parts; an object store whose reads
      // are slow, so both parts read the day object before either writes it back.
      const START = Date.UTC(2026, 10, 20);
      const clock = { now: () => START + 3 * 86_400_000 };
      const store = new InMemoryObjectStore();
      const get = store.get.bind(store);
      const meters = ['000350000900', '000350000901', '000350000902', '000350000903'];
      const byPart = [0, 1].map((p) => meters.filter((m) => shardOf(m, 2) === p));
      expect(byPart.every((list) => list.length > 0)).toBe(true);
      const writer = makeLakeWriter({
        objectStore: store,
        prefix: 'lake',
        clock,
        shards: (origin) => (origin === 'large' ? shards : 1),
      });
      const read = (meter: string, minute: number) => ({
        meter,
        timeMs: START + minute * 60_000,
        good: true,
        source: 'realtime' as const,
        via: 'large',
        fields: { kWh_Tot: minute },
      });
      await writer.writeReadings(
        meters.map((m) => read(m, 60)),
        { via: 'large' },
      );
      const state = new InMemoryIngestState();
      await makeCompactLake({ objectStore: store, prefix: 'lake', state, clock, realtimeShards: () => 2 })({
        origins: ['large'],
      });
      store.get = async (key) => {
        const body = await get(key);
        await new Promise((r) => setTimeout(r, 30));
        return body;
      };
      // Act: each part writes a late read of each of its meters into the compacted day
      await Promise.all(
        byPart.map((list) =>
          writer.writeReadings(
            list.map((m) => read(m, 61)),
            { via: 'large' },
          ),
        ),
      );
      // Assess
      const rows = await visibleRows(store, 'lake/dataset=realtime/');
      expect(rows.map((r) => `${r.meter}@${Number(r.time) - START}`).sort()).toEqual(
        meters.flatMap((m) => [`${m}@3600000`, `${m}@3660000`]).sort(),
      );
    },
  );

  it('a run of a split key without a part runs each part in turn under its lease, and waits for a part running from the queue', async () => {
    // Prepare: four meters of one key split in two parts
    const meters = ['000350000900', '000350000901', '000350000902', '000350000903'];
    const { ekm, store, ingest, key, locks, acquire, clock } = splitKey(meters, 50, () => 2);
    const listMeters = jest.spyOn(ekm, 'meters');
    const now = clock.now();
    // Act
    const whole = await ingest({ key });
    // Assess
    expect(locks).toEqual(['ingest-realtime#large#s00of02', 'ingest-realtime#large#s01of02']);
    expect(whole).toMatchObject({ runId: 'run-1,run-2', meters: 4, reads: 4 * 50 });
    expect(listMeters).toHaveBeenCalledTimes(1); // one Account API call for both parts
    const rows = await visibleRows(store, 'lake/dataset=realtime/');
    expect(rows).toHaveLength(4 * 50);
    expect(whole.objects).toBe(whole.keys.length);
    // Act: a part holds its lease (a worker on it now)
    await acquire('ingest-realtime#large#s01of02', 'worker', 60_000, now);
    // Assess: the whole-key run does not write beside it
    await expect(ingest({ key })).rejects.toMatchObject({ code: 'INGEST_LOCKED' });
  });

  it("a part marks only its own part's dead runs failed, never a sibling's", async () => {
    // Prepare: part 1's last run died (still `running`, its lease lapsed); part 0's is running now
    const meters = ['000350000900', '000350000901', '000350000902', '000350000903'];
    const { state, ingest, key, clock } = splitKey(meters, 20);
    const running = (runId: string, part: string) =>
      state.putRun({
        runId,
        job: 'ingest-realtime',
        alias: 'large',
        startedAtMs: clock.now() - 120_000,
        status: 'running',
        summary: { part },
      });
    await running('dead-part-1', 's01of02');
    await running('live-part-0', 's00of02');
    // Act: part 1 runs
    await ingest({ key, shard: { index: 1, count: 2 } });
    // Assess
    const status = async (runId: string) => (await state.listRuns('large')).find((r) => r.runId === runId)?.status;
    expect(await status('dead-part-1')).toBe('failed');
    expect(await status('live-part-0')).toBe('running');
    const part1Runs = (await state.listRuns('large')).filter((r) => r.summary?.part === 's01of02');
    expect(part1Runs.map((r) => r.status).sort()).toEqual(['failed', 'ok']);
  });
});
