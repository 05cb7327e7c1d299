import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTimeFlag, renderTable } from '../../cli/commands/lake';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { encodeRows } from '../../functions/core/parquet/encode';
import { emptyRow, type LakeRow } from '../../functions/core/parquet/rows';
import type { Reading } from '../../functions/core/readings/reading';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const toRow = (values: Record<string, string | number | boolean>): LakeRow => ({
  ...emptyRow('realtime'),
  schema_version: 1,
  ...values,
});

describe('lake query (DuckDB over a mirrored lake)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-query-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('mirrors only changed objects, drops objects gone from the lake, and answers SQL over the views', async () => {
    // Prepare
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, clock: { now: () => T0 } });
    const reading = (i: number): Reading => ({
      meter: '000350000900',
      timeMs: T0 + i * 600_000,
      good: i !== 3,
      source: 'realtime' as const,
      via: 'demo',
      fields: i !== 3 ? { kWh_Tot: 10 + i, RMS_Volts_Ln_1: 120 + i } : { 'PERR.NR': '1' },
    });
    await writer.writeReadings([0, 1, 2, 3, 4, 5, 6, 7].map(reading), { via: 'demo' });
    // Act
    const first = await syncLakeToDir(store, '', dir);
    const again = await syncLakeToDir(store, '', dir);
    await store.delete(
      (await store.list('dataset=realtime/date=2026-11-25/origin=demo/h11-s00')).map((o) => o.key), // one run object
    );
    const afterDelete = await syncLakeToDir(store, '', dir);
    const q = await queryLakeDir(
      dir,
      'SELECT count(*)::INT AS n, count(*) FILTER (WHERE NOT good)::INT AS failed, max(kWh_Tot) AS top, any_value(origin) AS origin, any_value(date)::VARCHAR AS d FROM realtime',
    );
    const empty = await queryLakeDir(dir, 'SELECT count(*)::INT AS n FROM summary');
    // Assess
    expect(first).toEqual({ files: 2, downloaded: 2, removed: 0, untracked: 0 });
    expect(again.downloaded).toBe(0);
    expect(afterDelete).toEqual({ files: 1, downloaded: 0, removed: 1, untracked: 0 });
    expect(q.rows).toEqual([{ n: 6, failed: 1, top: 15, origin: 'demo', d: '2026-11-25' }]);
    expect(empty.rows).toEqual([{ n: 0 }]);
    expect(renderTable(q.columns, q.rows)).toContain('(1 rows)');
  });

  it('shows one row per meter, time and source when a read sits in two objects, the compacted day first', async () => {
    // Prepare: a compacted day object, and an hourly object and an edge batch object beside it
    // holding some of the same reads (a re-write before the next compaction).
    const store = new InMemoryObjectStore();
    const rows = (kWh: number, times: number[], source: 'realtime' | 'edge' = 'realtime') =>
      times.map((i) => ({
        meter: '000350000900',
        time: T0 + i * 60_000,
        good: true,
        source,
        via: 'demo',
        kWh_Tot: kWh + i,
      }));
    const put = (file: string, list: ReturnType<typeof rows>) =>
      store.put(`dataset=realtime/date=2026-11-25/origin=demo/${file}`, encodeRows('realtime', list.map(toRow)));
    await put('day-s00.parquet', [...rows(100, [0, 1, 2]), ...rows(500, [0], 'edge')]);
    await put('h10-s00.parquet', rows(900, [1, 2, 3]));
    await put(`b-${'0'.repeat(32)}.parquet`, rows(700, [0, 5], 'edge'));
    // Act
    await syncLakeToDir(store, '', dir);
    const view = await queryLakeDir(
      dir,
      'SELECT source, epoch_ms("time")::BIGINT AS t, kWh_Tot AS kwh FROM realtime ORDER BY source, t',
    );
    const all = await queryLakeDir(dir, 'SELECT count(*)::INT AS n FROM realtime_objects');
    // Assess
    expect(view.rows.map((r) => `${r.source}@${(Number(r.t) - T0) / 60_000}=${r.kwh}`)).toEqual([
      'edge@0=500',
      'edge@5=705',
      'realtime@0=100',
      'realtime@1=101',
      'realtime@2=102',
      'realtime@3=903',
    ]);
    expect(all.rows).toEqual([{ n: 9 }]);
  });

  it.each([
    ['2026-11-01', Date.UTC(2026, 10, 1)],
    ['2026-11-01T10:15Z', Date.UTC(2026, 10, 1, 10, 15)],
    ['202611011015', Date.UTC(2026, 10, 1, 10, 15)],
  ])('reads --from %s', (text, ms) => {
    expect(parseTimeFlag('--from', text)).toBe(ms);
  });

  it('fails on an unreadable time, naming the flag and the accepted forms', () => {
    expect(() => parseTimeFlag('--to', 'yesterday')).toThrow(/--to: cannot read "yesterday".*202611011015/);
  });
});
