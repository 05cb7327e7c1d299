import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { parseObjectKey } from '../../functions/core/parquet/object-keys';
import type { Reading } from '../../functions/core/readings/reading';
import { makeCompactLake } from '../../functions/use-cases/compact-lake';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { InMemoryIngestState } from '../fakes/in-memory-ingest-state';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { storedRows, visibleRows } from '../fakes/lake-visible';

/*
 * Realtime writes whose cost does not grow (write-readings.ts `writeRunObject`): each write puts an
 * object of its own per hour window and shard, keyed by its content, and never reads the hour back.
 * The invariants: a re-run never adds a row to what a query answers (DuckDB views here; the Athena
 * view has the same ORDER BY, lib/constructs/readings-lake.ts), a retry replaces its own object,
 * and compaction racing a writer loses nothing and shows nothing twice.
 */

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const METERS = ['000350000900', '000350000901', '000300000369'];

/** Reads of every meter at minute `i` (10:00 + i minutes). */
function readsAt(i: number): Reading[] {
  return METERS.map((meter, m) => ({
    meter,
    timeMs: T0 + i * 60_000 + m,
    good: true,
    source: 'realtime' as const,
    via: 'demo',
    protocol: 'v4' as const,
    fields: { kWh_Tot: 100 + i, RMS_Volts_Ln_1: 120 + (i % 7) },
  }));
}

/** An object store that counts what each put and get moved. */
class MeteredStore extends InMemoryObjectStore {
  gets = 0;
  putBytes: number[] = [];
  override async put(key: string, body: Uint8Array): Promise<void> {
    this.putBytes.push(body.length);
    await super.put(key, body);
  }
  override async get(key: string): Promise<Uint8Array | undefined> {
    this.gets++;
    return super.get(key);
  }
}

async function viewCounts(store: InMemoryObjectStore, dir: string) {
  await syncLakeToDir(store, '', dir);
  const q = await queryLakeDir(
    dir,
    `SELECT (SELECT count(*)::INT FROM realtime) AS visible,
            (SELECT count(*)::INT FROM (SELECT meter, time, source FROM realtime GROUP BY ALL HAVING count(*) > 1)) AS twice`,
  );
  return q.rows[0] as { visible: number; twice: number };
}

describe('lake writer: one object per realtime write', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-run-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 60 runs into one hour without reading it back; the last write costs what the first did', async () => {
    // Prepare
    const store = new MeteredStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 } });
    // Act: one run a minute, each with the previous minute again (the overlap) and a new one.
    for (let i = 0; i < 60; i++)
      await writer.writeReadings([...readsAt(Math.max(i - 1, 0)), ...readsAt(i)], { via: 'demo' });
    // Assess
    expect(store.gets).toBe(0);
    expect(store.putBytes).toHaveLength(60);
    expect(store.putBytes[59]!).toBeLessThanOrEqual(store.putBytes[0]! * 1.5);
    expect((await visibleRows(store, 'dataset=realtime/')).length).toBe(60 * METERS.length);
    expect((await storedRows(store, 'dataset=realtime/')).length).toBeGreaterThan(60 * METERS.length);
    expect(await viewCounts(store, dir)).toEqual({ visible: 60 * METERS.length, twice: 0 });
  });

  it('a retry of the same reads replaces its own object (same key, same bytes), however often it is retried', async () => {
    // Prepare
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 } });
    const first = await writer.writeReadings(readsAt(1), { via: 'demo' });
    // Act: the Parquet writer is a fresh instance per call; nothing of it may vary the bytes
    const again = [];
    for (let i = 0; i < 20; i++) again.push(await writer.writeReadings([...readsAt(1)].reverse(), { via: 'demo' }));
    // Assess
    for (const retry of again) expect(retry.keys).toEqual(first.keys);
    expect(first.keys).toEqual([expect.stringMatching(/\/h10-s00-[0-9a-f]{32}\.parquet$/)]);
    expect(parseObjectKey(first.keys[0]!)?.window).toEqual({ kind: 'run', hour: 10, id: expect.any(String) });
    expect(store.objects.size).toBe(1);
  });

  it('a re-run after a crash (same reads plus newer ones) never adds a row to what a query answers', async () => {
    // Prepare: the run wrote, then died before its cursor moved.
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 }, shards: 2 });
    await writer.writeReadings([...readsAt(0), ...readsAt(1), ...readsAt(2)], { via: 'demo' });
    const before = await viewCounts(store, dir);
    // Act: the re-run reads from the old cursor again and finds one more minute.
    await writer.writeReadings([...readsAt(0), ...readsAt(1), ...readsAt(2), ...readsAt(3)], { via: 'demo' });
    // Assess
    expect(before).toEqual({ visible: 3 * METERS.length, twice: 0 });
    expect(await viewCounts(store, dir)).toEqual({ visible: 4 * METERS.length, twice: 0 });
  });

  it('compaction racing a writer: a run object written while the day is merged stays, nothing is shown twice', async () => {
    // Prepare: two runs of yesterday (10:00 and 10:30 UTC of 2026-11-25), compaction on the 26th.
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 } });
    await writer.writeReadings([...readsAt(0), ...readsAt(1)], { via: 'demo' });
    await writer.writeReadings([...readsAt(1), ...readsAt(30)], { via: 'demo' });
    const clock = { now: () => T0 + 86_400_000 };
    let raced = false;
    const racing: InMemoryObjectStore = Object.assign(Object.create(store), {
      async put(key: string, body: Uint8Array) {
        // A late writer lands its run object just before compaction writes the day object.
        if (!raced && key.endsWith('day-s00.parquet')) {
          raced = true;
          await writer.writeReadings([...readsAt(30), ...readsAt(31)], { via: 'demo' });
        }
        await store.put(key, body);
      },
    });
    const compact = makeCompactLake({ objectStore: racing, state: new InMemoryIngestState(), clock });
    // Act
    const result = await compact({});
    const partition = (await store.list('dataset=realtime/date=2026-11-25/')).map((o) => o.key);
    const afterRace = await viewCounts(store, dir);
    const second = await compact({});
    // Assess: the racing object survived the first compaction and was merged by the next one.
    expect(raced).toBe(true);
    expect(result.days).toHaveLength(1);
    expect(partition.filter((k) => k.endsWith('day-s00.parquet'))).toHaveLength(1);
    expect(partition.filter((k) => /\/h10-s00-[0-9a-f]{32}\.parquet$/.test(k))).toHaveLength(1);
    expect(afterRace).toEqual({ visible: 4 * METERS.length, twice: 0 });
    expect(second.days).toHaveLength(1);
    expect((await store.list('dataset=realtime/date=2026-11-25/')).map((o) => o.key)).toEqual([
      'dataset=realtime/date=2026-11-25/origin=demo/day-s00.parquet',
    ]);
    expect((await storedRows(store, 'dataset=realtime/')).length).toBe(4 * METERS.length);
    expect(await viewCounts(store, dir)).toEqual({ visible: 4 * METERS.length, twice: 0 });
  });

  it('compaction keeps, for a read held by many objects with different values, the row the views showed', async () => {
    // Prepare: 120 runs of yesterday, each re-sending the previous minute with its own value of
    // kWh_Tot (a read held by two objects that disagree), as a minute schedule with an overlap does.
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 } });
    const withValue = (i: number, run: number) =>
      readsAt(i).map((r) => ({ ...r, fields: { ...r.fields, kWh_Tot: 1000 * run + i } }));
    for (let run = 1; run <= 120; run++)
      await writer.writeReadings([...withValue(run - 1, run), ...withValue(run, run)], { via: 'demo' });
    const shown = (await visibleRows(store, 'dataset=realtime/')).map((r) => `${r.meter}@${r.time}=${r.kWh_Tot}`);
    // Act
    const result = await makeCompactLake({
      objectStore: store,
      state: new InMemoryIngestState(),
      clock: { now: () => T0 + 86_400_000 },
    })({});
    // Assess
    expect(result.days).toEqual([expect.objectContaining({ rows: 121 * METERS.length })]);
    expect(result.days[0]!.inputs).toBeGreaterThanOrEqual(120);
    const stored = (await storedRows(store, 'dataset=realtime/')).map((r) => `${r.meter}@${r.time}=${r.kWh_Tot}`);
    expect(stored).toHaveLength(121 * METERS.length);
    expect(stored.sort()).toEqual(shown.sort());
  });
});
