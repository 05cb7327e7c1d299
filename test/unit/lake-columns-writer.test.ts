import { parseReadResponseWithRejections } from '../../functions/core/ekm/realtime';
import { parseRealtimeInto } from '../../functions/core/ekm/realtime-columns';
import { ColumnBatchBuilder } from '../../functions/core/parquet/column-batch';
import { decodeRows, encodeRows } from '../../functions/core/parquet/encode';
import { encodeColumns } from '../../functions/core/parquet/encode-columns';
import { hourWindowOf, objectKey, shardOf } from '../../functions/core/parquet/object-keys';
import { appendReading } from '../../functions/core/parquet/reading-columns';
import { type LakeRow, mergeRows, type Rejected, readingToRow } from '../../functions/core/parquet/rows';
import type { FieldValue, Reading } from '../../functions/core/readings/reading';
import { makeLakeWriter, mergeIntoObject } from '../../functions/use-cases/write-readings';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';
import { startFakeCloud } from '../../local/ekm-cloud/server';
import { InMemoryObjectStore } from '../fakes/in-memory-object-store';
import { visibleRows, windowOfKey } from '../fakes/lake-visible';

/*
 * The lake writer's columnar entry point (`writeColumns`, fed by core/ekm/realtime-columns.ts)
 * against `writeReadings` fed by the row parser: the same objects with the same rows, the same
 * counts, cursors and quarantine, also when merging into objects that already exist.
 */

const NOW = Date.UTC(2026, 11, 3, 4, 0, 0);
const clock = { now: () => NOW };

async function objects(store: InMemoryObjectStore): Promise<Map<string, unknown[]>> {
  const out = new Map<string, unknown[]>();
  for (const { key } of await store.list('')) {
    const bytes = await store.get(key);
    // Quarantine rows hold the detection time: the same clock on both sides.
    if (bytes) out.set(key, decodeRows(bytes));
  }
  return out;
}

/**
 * The row-based realtime write as it was before the lake writer moved to columns (rows.ts
 * readingToRow → group by hour object → write-readings.ts mergeIntoObject with mergeRows and
 * encodeRows): the reference both columnar entry points are compared with.
 */
async function referenceWrite(
  store: InMemoryObjectStore,
  readings: readonly Reading[],
  shards: number,
): Promise<{ keys: string[]; rows: number; rejected: Rejected[]; newestByMeter: Map<string, number> }> {
  const groups = new Map<string, LakeRow[]>();
  const rejected: Rejected[] = [];
  const newestByMeter = new Map<string, number>();
  let rows = 0;
  for (const reading of readings) {
    const m = readingToRow(reading);
    if ('rejected' in m) {
      rejected.push(m.rejected);
      continue;
    }
    const { date, window } = hourWindowOf(reading.timeMs);
    const key = objectKey('lake', {
      dataset: 'realtime',
      origin: 'demo',
      date,
      window,
      shard: shardOf(reading.meter, shards),
    });
    groups.set(key, [...(groups.get(key) ?? []), m.row]);
    rows++;
    if (reading.timeMs > (newestByMeter.get(reading.meter) ?? Number.NEGATIVE_INFINITY))
      newestByMeter.set(reading.meter, reading.timeMs);
  }
  for (const [key, list] of groups) await mergeIntoObject(store, key, 'realtime', list);
  return { keys: [...groups.keys()].sort(), rows, rejected, newestByMeter };
}

describe('lake writer: writeColumns', () => {
  let body = '';
  beforeAll(async () => {
    const cloud = await startFakeCloud({ account: generateAccount({ meters: 10 }), seed: 5, badReadRate: 0.03 });
    try {
      const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id.replace(/^0+/, '')));
      body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${ids.join('~')}&cnt=300`).then((r) =>
        r.text(),
      );
    } finally {
      await cloud.close();
    }
    // One read the lake refuses (before 2000) and one the parser refuses: both reach quarantine.
    const json = JSON.parse(body) as { readMeter: { ReadSet: { ReadData: Record<string, unknown>[] }[] } };
    const data = json.readMeter.ReadSet[0]!.ReadData;
    data.push({ ...data[0], Time_Stamp_UTC_ms: 12 });
    data.push({ ...data[1], Time_Stamp_UTC_ms: Number(data[1]!.Time_Stamp_UTC_ms) + 1, kWh_Tot: 'x' });
    body = JSON.stringify(json);
  });

  it('writes the same objects, counts and cursors as the row-based write, merging into existing objects alike (writeColumns and writeReadings)', async () => {
    // Prepare: both lakes already hold an earlier write of other reads (half of them repeated now).
    const rowStore = new InMemoryObjectStore();
    const colStore = new InMemoryObjectStore();
    const readStore = new InMemoryObjectStore();
    const colWriter = makeLakeWriter({ objectStore: colStore, prefix: 'lake', clock, shards: 3 });
    const readWriter = makeLakeWriter({ objectStore: readStore, prefix: 'lake', clock, shards: 3 });
    const earlier = parseReadResponseWithRejections(body, { via: 'demo' }).readings.filter((_, i) => i % 2 === 0);
    await referenceWrite(rowStore, earlier, 3);
    await colWriter.writeReadings(earlier, { via: 'demo' });
    await readWriter.writeReadings(earlier, { via: 'demo' });
    // Act
    const parsed = parseReadResponseWithRejections(body, { via: 'demo' });
    const byRows = await referenceWrite(rowStore, parsed.readings, 3);
    const byReadings = await readWriter.writeReadings(parsed.readings, { via: 'demo' });
    const builder = new ColumnBatchBuilder();
    const columns = parseRealtimeInto(body, { via: 'demo' }, builder);
    const byColumns = await colWriter.writeColumns(builder, { via: 'demo', rejected: columns.lakeRejected });
    // Assess: quarantine objects aside (the reference writes none), both entry points = the reference.
    const realtimeKeys = (keys: readonly string[]) => keys.filter((k) => k.includes('dataset=realtime'));
    // Realtime rows of a window go into an object of their own (write-readings.ts writeRunObject).
    const windows = (keys: readonly string[]) => realtimeKeys(keys).map(windowOfKey);
    expect(windows(byColumns.keys)).toEqual(byRows.keys);
    expect(windows(byReadings.keys)).toEqual(byRows.keys);
    expect(byReadings.rows).toBe(byRows.rows);
    expect(byReadings.rejected).toEqual(byRows.rejected);
    expect(byColumns.rows).toBe(byRows.rows);
    expect(byColumns.rejected).toEqual(byRows.rejected);
    expect(byColumns.rejected).toHaveLength(1);
    expect(columns.rejected).toEqual(parsed.rejected);
    expect([...byColumns.newestByMeter].sort()).toEqual([...byRows.newestByMeter].sort());
    const want = await objects(rowStore);
    expect(want.size).toBeGreaterThan(3);
    // What a query answers per window (the views: one row per meter + time + source) = the merged objects.
    const realtimeOnly = async (store: InMemoryObjectStore) => {
      const out = new Map<string, unknown[]>();
      for (const key of [...new Set((await store.list('lake/dataset=realtime/')).map((o) => windowOfKey(o.key)))]) {
        out.set(key, mergeRows('realtime', [], await visibleRows(store, key.replace(/\.parquet$/, ''))));
      }
      return out;
    };
    expect(await realtimeOnly(colStore)).toEqual(want);
    expect(await realtimeOnly(readStore)).toEqual(want);
    // Stored rows per window, duplicates kept (`realtime_objects`), and quarantine objects: the same.
    const stored = async (store: InMemoryObjectStore) => {
      const out = new Map<string, string[]>();
      for (const [key, rows] of await objects(store)) {
        const list = out.get(windowOfKey(key)) ?? [];
        list.push(...rows.map((r) => JSON.stringify(r)));
        out.set(windowOfKey(key), list.sort());
      }
      return out;
    };
    expect(await stored(readStore)).toEqual(await stored(colStore));
  });

  it('fails when the rows came through another key alias than the one written for', async () => {
    const builder = new ColumnBatchBuilder();
    parseRealtimeInto(body, { via: 'other' }, builder);
    const writer = makeLakeWriter({ objectStore: new InMemoryObjectStore(), clock });
    await expect(writer.writeColumns(builder, { via: 'demo' })).rejects.toThrow('not demo');
  });

  it('maps readings into columns exactly like readingToRow (rows and rejections), edge cases included', () => {
    // Prepare: the simulator's readings plus hand-made ones (values, renames, extra, metadata faults).
    const readings: Reading[] = [...parseReadResponseWithRejections(body, { via: 'demo' }).readings];
    const base = { meter: '000350000900', good: true, source: 'realtime', via: 'demo', protocol: 'v4' } as const;
    const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
    const values: FieldValue[] = [
      '12.5',
      ' 12.5 ',
      '1e400',
      '',
      'x',
      2_147_483_648,
      -2_147_483_648,
      -0,
      1.5,
      Number.NaN,
      7,
    ];
    values.forEach((v, i) => {
      for (const field of ['kWh_Tot', 'CT_Ratio', 'Meter_Time', 'PERR.NR', 'meter', 'Brand_New'])
        readings.push({ ...base, timeMs: T0 + i * 1000, fields: { [field]: v } });
    });
    readings.push({ ...base, timeMs: T0, fields: { 'PERR.NR': 1, PERR_NR: 2, Model: 'Ω', Firmware: '\ud800x' } });
    readings.push({ ...base, timeMs: T0, fields: { PERR_NR: 2, 'PERR.NR': 1 } });
    readings.push({ ...base, timeMs: 12, fields: {} });
    readings.push({ ...base, meter: '12', timeMs: T0, fields: {} });
    readings.push({ ...base, via: '', timeMs: T0, fields: {} });
    readings.push({ ...base, source: 'nope', timeMs: T0, fields: {} } as unknown as Reading);
    readings.push({ ...base, protocol: 'v9', timeMs: T0, fields: {} } as unknown as Reading);
    readings.push({ ...base, good: 1, timeMs: T0, fields: {} } as unknown as Reading);
    readings.push({ ...base, timeMs: T0, fields: { kWh_Tot: true } } as unknown as Reading);
    const { protocol: _p, ...noProtocol } = base;
    readings.push({ ...noProtocol, source: 'edge', timeMs: T0, fields: { kWh_Tot: 3 } });
    // Act
    const rows: LakeRow[] = [];
    const want: Rejected[] = [];
    for (const r of readings) {
      const m = readingToRow(r);
      if ('row' in m) rows.push(m.row);
      else want.push(m.rejected);
    }
    const builder = new ColumnBatchBuilder();
    const got: Rejected[] = [];
    for (const r of readings) {
      const rejected = appendReading(builder, r);
      if (rejected) got.push(rejected);
    }
    // Assess
    expect(got).toEqual(want);
    expect(want.length).toBeGreaterThan(10);
    expect(decodeRows(encodeColumns(builder.finish()))).toEqual(decodeRows(encodeRows('realtime', rows)));
  });
});

describe('lake writer: writeReadings on columns', () => {
  it('quarantines refused readings and writes no object for them (bad time, bad meter, other origin, misfit value)', async () => {
    // Prepare
    const store = new InMemoryObjectStore();
    const writer = makeLakeWriter({ objectStore: store, prefix: 'lake', clock });
    const ok = {
      meter: '000350000900',
      timeMs: NOW - 3_600_000,
      good: true,
      source: 'realtime',
      via: 'demo',
      fields: {},
    };
    const readings = [
      { ...ok, timeMs: Number.MAX_SAFE_INTEGER },
      { ...ok, timeMs: 12 },
      { ...ok, meter: 'x' },
      { ...ok, via: 'elsewhere' },
      { ...ok, timeMs: NOW - 7_200_000, fields: { CT_Ratio: 1.5 } },
      ok,
    ] as Reading[];
    // Act
    const result = await writer.writeReadings(readings, { via: 'demo' });
    // Assess: one realtime object (the good reading's hour) and the quarantine object.
    expect(result.rows).toBe(1);
    expect(result.rejected.map((r) => r.reason.split(':')[0])).toEqual(['time', 'time', 'meter', 'via', 'CT_Ratio']);
    expect(result.keys.filter((k) => k.includes('dataset=realtime'))).toHaveLength(1);
    expect(result.keys.filter((k) => k.includes('dataset=quarantine'))).toHaveLength(1);
  });
});
