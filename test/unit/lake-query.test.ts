import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryLakeDir, syncLakeToDir } from '../../functions/adapters/duckdb-lake';
import { parseTimeFlag, renderTable } from '../../functions/cli/commands/lake';
import type { Reading } from '../../functions/core/readings/reading';
import { makeLakeWriter } from '../../functions/use-cases/write-readings';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

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
    await store.delete(['dataset=realtime/date=2026-11-25/origin=demo/h11-s00.parquet']);
    const afterDelete = await syncLakeToDir(store, '', dir);
    const q = await queryLakeDir(
      dir,
      'SELECT count(*)::INT AS n, count(*) FILTER (WHERE NOT good)::INT AS failed, max(kWh_Tot) AS top, any_value(origin) AS origin, any_value(date)::VARCHAR AS d FROM realtime',
    );
    const empty = await queryLakeDir(dir, 'SELECT count(*)::INT AS n FROM summary');
    // Assess
    expect(first).toEqual({ files: 2, downloaded: 2, removed: 0 });
    expect(again.downloaded).toBe(0);
    expect(afterDelete).toEqual({ files: 1, downloaded: 0, removed: 1 });
    expect(q.rows).toEqual([{ n: 6, failed: 1, top: 15, origin: 'demo', d: '2026-11-25' }]);
    expect(empty.rows).toEqual([{ n: 0 }]);
    expect(renderTable(q.columns, q.rows)).toContain('(1 rows)');
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
