import { decodeRows } from '../../functions/core/parquet/encode';
import { type LakeRow, rowToReading } from '../../functions/core/parquet/rows';
import type { Reading } from '../../functions/core/readings/reading';
import type { IngestState } from '../../functions/ports/ingest-state';
import { makeCompactLake } from '../../functions/use-cases/compact-lake';
import { makeIngestRealtime, makeQuarantineWriter } from '../../functions/use-cases/ingest-realtime';
import { makeIngestSummary } from '../../functions/use-cases/ingest-summary';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { InMemoryIngestState } from '../fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { readWithHyparquet } from '../fakes/lake-readers';
import { visibleRows } from '../fakes/lake-visible';
import { RingEkmApi } from '../fakes/ring-ekm-api';

const START = Date.UTC(2026, 10, 20, 0, 0, 0);
/** A smaller ring than EKM's 1000 keeps these tests fast; the integration test uses the real size. */
const RING = 200;
const KEY = { alias: 'demo', key: 'MTAxMDoyMDIw' };
const METERS = [
  { meter: '000350000900', protocol: 'v4' as const },
  { meter: '000300000369', protocol: 'v3' as const },
  { meter: '000350000901', protocol: 'v4' as const },
];

function setup(opts: { shards?: number; state?: IngestState; quarantine?: boolean; steadyReads?: number } = {}) {
  let now = START + 1200 * 60_000;
  const clock = { now: () => now };
  const ekm = new RingEkmApi(METERS, clock.now, START, RING);
  const store = new InMemoryObjectStore();
  const memState = new InMemoryIngestState();
  const state = opts.state ?? memState;
  const lake = makeLakeWriter({ objectStore: store, prefix: 'lake', clock, shards: opts.shards ?? 2 });
  let n = 0;
  const deps = {
    account: ekm,
    realtime: ekm,
    summary: ekm,
    lake,
    state,
    clock,
    shards: opts.shards ?? 2,
    newRunId: () => `run-${++n}`,
    ringSize: RING,
    ...(opts.steadyReads ? { steadyReads: opts.steadyReads } : {}),
    ...(opts.quarantine ? { quarantine: makeQuarantineWriter({ objectStore: store, prefix: 'lake', clock }) } : {}),
  };
  return {
    ekm,
    store,
    memState,
    clock,
    advance: (minutes: number) => {
      now += minutes * 60_000;
    },
    now: () => now,
    ingest: makeIngestRealtime(deps),
    ingestSummary: makeIngestSummary(deps),
    compact: makeCompactLake({ objectStore: store, prefix: 'lake', state, clock }),
  };
}

/** What a query over the dataset answers (realtime: one row per meter + time + source, as the views). */
async function lakeRows(store: InMemoryObjectStore, dataset = 'realtime'): Promise<LakeRow[]> {
  if (dataset === 'realtime') return visibleRows(store, `lake/dataset=${dataset}/`);
  const rows: LakeRow[] = [];
  for (const { key } of await store.list(`lake/dataset=${dataset}/`)) rows.push(...decodeRows((await store.get(key))!));
  return rows;
}

/** Every realtime read in the lake must be exactly the fake's series, once each. */
async function expectLakeEqualsSeries(env: ReturnType<typeof setup>, firstRunAtMs: number) {
  const rows = (await lakeRows(env.store)).filter((r) => r.source === 'realtime');
  const got = rows.map((r) => `${r.meter}@${r.time}`).sort();
  // The truth: from the oldest read each meter's ring held at the first run, up to now.
  const want = METERS.flatMap((m) => {
    const oldest = env.ekm.series(m.meter, START, firstRunAtMs).slice(-RING)[0]!.timeMs;
    return env.ekm.series(m.meter, oldest, env.now());
  })
    .map((r) => `${r.meter}@${r.timeMs}`)
    .sort();
  expect(got).toHaveLength(want.length);
  expect(got).toEqual(want);
  return rows;
}

describe('ingest realtime', () => {
  it('ingests the ring on the first run, then only new reads, each read once', async () => {
    // Prepare
    const env = setup();
    // Act
    const first = await env.ingest({ key: KEY });
    env.advance(7);
    const second = await env.ingest({ key: KEY });
    // Assess
    expect(first).toMatchObject({ meters: 3, reads: 3 * RING, gaps: [] });
    expect(second.reads).toBeGreaterThanOrEqual(3 * 7);
    expect(env.ekm.realtimeCalls.at(-1)?.sinceMs).toBeDefined();
    const rows = await expectLakeEqualsSeries(env, env.now() - 7 * 60_000);
    expect(rows.filter((r) => r.good === false).length).toBeGreaterThan(0);
    expect(env.memState.runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    // An independent reader agrees with the decoder on the newest object.
    const newest = (await env.store.list('lake/dataset=realtime/')).at(-1)!.key;
    const bytes = (await env.store.get(newest))!;
    expect((await readWithHyparquet(bytes)).length).toBe(decodeRows(bytes).length);
  });

  it('a crash between the Parquet write and the cursor update, then a re-run: no duplicate, no missing read', async () => {
    // Prepare: the state store dies right after the objects are written, before the cursor moves.
    const real = new InMemoryIngestState();
    let crash = false;
    const crashing: IngestState = Object.assign(Object.create(real) as InMemoryIngestState, {
      advanceCursors: async (...args: Parameters<IngestState['advanceCursors']>) => {
        if (crash) {
          crash = false;
          throw new Error('simulated crash after write, before cursor update');
        }
        return real.advanceCursors(...args);
      },
    });
    const env = setup({ state: crashing });
    await env.ingest({ key: KEY });
    env.advance(30);
    const putsBefore = env.store.puts;
    crash = true;
    // Act
    await expect(env.ingest({ key: KEY })).rejects.toThrow('simulated crash');
    expect(env.store.puts).toBeGreaterThan(putsBefore); // the objects were written
    env.advance(3);
    await env.ingest({ key: KEY });
    // Assess
    await expectLakeEqualsSeries(env, START + 1200 * 60_000);
    expect(real.runs.map((r) => r.status)).toEqual(['ok', 'failed', 'ok']);
  });

  it('heals a gap longer than the ring from 15-minute summaries, marked source=summary, and reports it', async () => {
    // Prepare
    const env = setup();
    await env.ingest({ key: KEY });
    const cursorBefore = (await env.memState.getCursors('realtime', 'demo', [METERS[0]!.meter])).get(METERS[0]!.meter)!;
    // Act: an outage of 1500 minutes; the ring holds only the last 1000
    env.advance(1500);
    const result = await env.ingest({ key: KEY });
    // Assess
    expect(result.gaps).toHaveLength(3);
    const gap = result.gaps.find((g) => g.meter === METERS[0]!.meter)!;
    expect(gap.fromMs).toBe(cursorBefore);
    expect(gap.toMs - gap.fromMs).toBeGreaterThan(1290 * 60_000);
    expect(gap.filledBuckets).toBeGreaterThan(30);
    expect(await env.memState.listGaps('demo')).toHaveLength(3);
    const fills = (await lakeRows(env.store)).filter((r) => r.source === 'summary' && r.meter === gap.meter);
    expect(fills).toHaveLength(gap.filledBuckets);
    expect(fills.every((r) => Number(r.time) > gap.fromMs && Number(r.time) < gap.toMs)).toBe(true);
    expect(fills.every((r) => typeof r.kWh_Tot === 'number')).toBe(true);
  });

  it('quarantines a malformed read with its reason and keeps the rest', async () => {
    const env = setup();
    env.ekm.inject = [{ ...env.ekm.readingAt(METERS[0]!.meter, 5, 'demo'), fields: { kWh_Tot: 'NaN-ish' } } as Reading];
    const result = await env.ingest({ key: KEY });
    expect(result.quarantined).toBe(1);
    const q = await lakeRows(env.store, 'quarantine');
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({
      reason: 'kWh_Tot: expected a number, got "NaN-ish"',
      meter: METERS[0]!.meter,
      via: 'demo',
    });
    expect(rowToReading).toBeDefined();
  });

  it('quarantines a read the parser refuses, keeps the rest of the response and moves past it once', async () => {
    // Prepare: one response where meter 0 has a read with a malformed kWh_Tot among its good reads,
    // newer than all of them (so the cursor must pass it), and still in the ring on the re-run.
    const env = setup({ quarantine: true });
    const meter = METERS[0]!.meter;
    const badTime = env.now() + 30_000;
    const raw = { Good: 1, Time_Stamp_UTC_ms: badTime, kWh_Tot: '12a.4', RMS_Volts_Ln_1: '120.1' };
    env.ekm.injectRaw = [{ meter, read: raw }];
    // Act
    const first = await env.ingest({ key: KEY });
    env.advance(61);
    const second = await env.ingest({ key: KEY });
    // Assess: the good reads are in the lake exactly once, the bad one in quarantine once, with its reason.
    expect(first).toMatchObject({ reads: 3 * RING, quarantined: 1 });
    expect(second.quarantined).toBe(0);
    expect(env.memState.runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    await expectLakeEqualsSeries(env, START + 1200 * 60_000);
    const q = await lakeRows(env.store, 'quarantine');
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({
      meter,
      time: badTime,
      source: 'realtime',
      via: 'demo',
      reason: `meter ${meter}: field kWh_Tot should be a decimal number, got "12a.4"`,
    });
    expect(JSON.parse(String(q[0]!.raw))).toEqual(raw);
    expect(
      (await readWithHyparquet((await env.store.get((await env.store.list('lake/dataset=quarantine/'))[0]!.key))!))
        .length,
    ).toBe(1);
    const cursors = await env.memState.getCursors('realtime', 'demo', [meter]);
    expect(cursors.get(meter)).toBeGreaterThanOrEqual(badTime);
  });

  it('asks meters with a cursor for few reads and asks again for the ring when an answer may be cut: same lake, counts and quarantine', async () => {
    // Prepare: the same three runs twice: asking meters with a cursor for at most 60 reads (a run 3
    // minutes later fits; one 45 minutes later may be cut and is asked again for the whole ring),
    // and asking everyone for the whole ring. One read the parser refuses sits in both answers.
    const scenario = async (steadyReads: number) => {
      const env = setup({ quarantine: true, steadyReads });
      const meter = METERS[0]!.meter;
      const raw = { Good: 1, Time_Stamp_UTC_ms: env.now() + 30_000, kWh_Tot: '12a.4' };
      env.ekm.injectRaw = [{ meter, read: raw }];
      const runs = [await env.ingest({ key: KEY })];
      env.advance(3);
      runs.push(await env.ingest({ key: KEY }));
      const steadyCalls = env.ekm.realtimeCalls.length;
      env.advance(45);
      runs.push(await env.ingest({ key: KEY }));
      return {
        env,
        counts: runs.map((r) => [r.reads, r.failedReads, r.quarantined, r.gaps.length]),
        lake: (await lakeRows(env.store)).map((r) => `${r.meter}@${r.time}:${r.source}`).sort(),
        quarantine: (await lakeRows(env.store, 'quarantine')).map((r) => `${r.meter}@${r.time}`),
        cursors: [
          ...(await env.memState.getCursors(
            'realtime',
            'demo',
            METERS.map((m) => m.meter),
          )),
        ],
        lastRunCnts: env.ekm.realtimeCalls.slice(steadyCalls).map((q) => q.cnt),
      };
    };
    // Act
    const few = await scenario(60);
    const ring = await scenario(RING);
    // Assess
    // Steady requests first (one per protocol), then the deep pass for the cut meters.
    expect(new Set(few.lastRunCnts)).toEqual(new Set([60, RING]));
    expect(few.lastRunCnts).toEqual([...few.lastRunCnts].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(ring.lastRunCnts.every((c) => c === RING)).toBe(true);
    expect(few.counts).toEqual(ring.counts);
    expect(few.lake).toEqual(ring.lake);
    expect(few.quarantine).toEqual(ring.quarantine);
    expect(few.quarantine).toHaveLength(1);
    expect(few.cursors).toEqual(ring.cursors);
    await expectLakeEqualsSeries(few.env, START + 1200 * 60_000);
  });

  it('takes more reads in one chunk than a call may have arguments (200,000, as 200 meters × 1000)', async () => {
    // Prepare: one chunk's realtime answer of 200k reads (push(...list) overflows past ~125k); the
    // lake here only counts what it is given (the Parquet path is covered above and in lake-cloud).
    const env = setup();
    const meter = METERS[0]!.meter;
    const big: Reading[] = Array.from({ length: 200_000 }, (_, i) => ({
      meter,
      timeMs: START + i * 20,
      good: true,
      source: 'realtime',
      via: 'demo',
      fields: { kWh_Tot: i },
    }));
    let written = 0;
    const countingLake = {
      writeReadings: async (readings: readonly Reading[]) => {
        written += readings.length;
        return { keys: [], rows: readings.length, rejected: [], newestByMeter: new Map<string, number>() };
      },
      writeBuckets: async () => ({ keys: [], rows: 0, rejected: [], newestByMeter: new Map<string, number>() }),
    };
    const ingest = makeIngestRealtime({
      account: env.ekm,
      realtime: { read: async () => big },
      summary: env.ekm,
      lake: countingLake,
      state: env.memState,
      clock: env.clock,
    });
    // Act
    const result = await ingest({ key: KEY, meters: [meter] });
    // Assess
    expect(result.reads).toBe(200_000);
    expect(written).toBe(200_000);
    expect((await env.memState.getCursors('realtime', 'demo', [meter])).get(meter)).toBe(START + 199_999 * 20);
  });

  it('fails when another ingest holds the lease, naming the alias', async () => {
    const env = setup();
    await env.memState.acquireLock('ingest-realtime#demo', 'someone-else', 60_000, env.now());
    await expect(env.ingest({ key: KEY })).rejects.toThrow(/another realtime ingest or compaction of "demo"/);
  });
});

describe('compaction', () => {
  it('fails when an edge ingest of the origin holds its lease (both rewrite the same objects)', async () => {
    const env = setup();
    await env.ingest({ key: KEY });
    env.advance(24 * 60);
    await env.memState.acquireLock('edge-ingest-demo', 'edge-endpoint', 60_000, env.now());
    await expect(env.compact()).rejects.toThrow(/an ingest of "demo" \(lease edge-ingest-demo\) holds the lease/);
    expect(env.memState.locks.has('ingest-realtime#demo')).toBe(false);
  });

  it('merges a finished day into one object per shard, idempotently', async () => {
    // Prepare: reads spread over two UTC days
    const env = setup({ shards: 2 });
    await env.ingest({ key: KEY });
    env.advance(600);
    await env.ingest({ key: KEY });
    const before = (await lakeRows(env.store)).length;
    const hourFilesBefore = (await env.store.list('lake/dataset=realtime/date=2026-11-20/')).length;
    // Act
    const result = await env.compact();
    const again = await env.compact();
    // Assess
    expect(hourFilesBefore).toBeGreaterThan(2);
    expect(result.days.map((d) => d.key)).toEqual([
      'lake/dataset=realtime/date=2026-11-20/origin=demo/day-s00.parquet',
      'lake/dataset=realtime/date=2026-11-20/origin=demo/day-s01.parquet',
    ]);
    expect((await env.store.list('lake/dataset=realtime/date=2026-11-20/')).map((o) => o.key)).toEqual(
      result.days.map((d) => d.key),
    );
    expect(again.days).toEqual([]);
    expect((await lakeRows(env.store)).length).toBe(before);
    // Today's hour files are left alone.
    expect(
      (await env.store.list('lake/dataset=realtime/date=2026-11-21/')).every((o) => /\/h\d\d-s\d\d/.test(o.key)),
    ).toBe(true);
  });
});

describe('compacted days', () => {
  it('keeps one row per meter, time and source after a compacted day is re-written', async () => {
    // Prepare: a run is killed after its lake write and before its cursor update, then the day is
    // compacted; the re-run writes the same reads (and the 10-minute overlap) into that day again.
    const real = new InMemoryIngestState();
    let crash = false;
    const crashing: IngestState = Object.assign(Object.create(real) as InMemoryIngestState, {
      advanceCursors: async (...args: Parameters<IngestState['advanceCursors']>) => {
        if (crash) {
          crash = false;
          throw new Error('simulated crash after write, before cursor update');
        }
        return real.advanceCursors(...args);
      },
    });
    const env = setup({ state: crashing });
    await env.ingest({ key: KEY });
    env.advance(30);
    crash = true;
    await expect(env.ingest({ key: KEY })).rejects.toThrow('simulated crash');
    const compacted = await env.compact({ date: '2026-11-20' });
    env.advance(3);
    // Act
    await env.ingest({ key: KEY });
    // Assess: the re-written reads went into the day objects, none beside them.
    expect(compacted.days).toHaveLength(2);
    expect((await env.store.list('lake/dataset=realtime/date=2026-11-20/')).map((o) => o.key)).toEqual(
      compacted.days.map((d) => d.key),
    );
    await expectLakeEqualsSeries(env, START + 1200 * 60_000);
  });
});

describe('ingest summary', () => {
  it('backfills a range day by day with progress, idempotently', async () => {
    const env = setup({ shards: 1 });
    env.advance(2 * 24 * 60);
    const ticks: string[] = [];
    const input = {
      key: KEY,
      fromMs: START,
      toMs: START + 36 * 3_600_000,
      onProgress: (d: number, t: number) => ticks.push(`${d}/${t}`),
    };
    const first = await env.ingestSummary(input);
    const second = await env.ingestSummary(input);
    expect(first).toMatchObject({ days: 2, meters: 3 });
    expect(first.buckets).toBe(3 * 36 * 4);
    expect(ticks).toEqual(['0/2', '1/2', '2/2', '0/2', '1/2', '2/2']);
    expect(second.keys).toEqual(first.keys);
    const rows = await lakeRows(env.store, 'summary');
    expect(rows).toHaveLength(3 * 36 * 4);
    expect(new Set(rows.map((r) => `${r.meter}@${r.time}`)).size).toBe(rows.length);
    expect((await env.memState.getCursors('summary', 'demo', ['ALL'])).get('ALL')).toBe(START + 36 * 3_600_000);
  });

  it('fails when --from is after --to, naming the flag', async () => {
    const env = setup();
    await expect(env.ingestSummary({ key: KEY, fromMs: START + 86_400_000, toMs: START })).rejects.toThrow(/--from/);
  });
});
