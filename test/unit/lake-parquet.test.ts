import { decodeRows, encodeRows } from '../../functions/core/parquet/encode';
import { LAKE_SCHEMA_VERSION, READING_COLUMNS, SUMMARY_COLUMNS } from '../../functions/core/parquet/lake-schema';
import { objectKey, parseObjectKey, shardOf } from '../../functions/core/parquet/object-keys';
import {
  bucketToGapReading,
  bucketToRow,
  type LakeRow,
  mergeRows,
  readingToRow,
  rowToBucket,
  rowToReading,
} from '../../functions/core/parquet/rows';
import type { Reading } from '../../functions/core/readings/reading';
import { duckdbOverBytes, hyparquetSchema, readWithHyparquet } from '../fakes/lake-readers';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

function v4Reading(i: number, meter = '000350000900'): Reading {
  return {
    meter,
    timeMs: T0 + i * 60_000,
    good: true,
    protocol: 'v4',
    source: 'realtime',
    via: 'demo',
    fields: {
      kWh_Tot: 1000 + i * 0.5,
      Rev_kWh_Tot: '12.5',
      RMS_Volts_Ln_1: 120.1,
      RMS_Watts_Tot: 1500 + i,
      Power_Factor_Ln_1: '97',
      State_Watts_Dir: 1,
      CT_Ratio: '0200',
      Cos_Theta_Ln_1: '0.97 L',
      Meter_Time: '26112503100000',
      Line_Freq: '60.01',
      'PERR.NR': '0',
      Some_New_Field: '42',
    },
  };
}

function rowsOf(readings: readonly Reading[]): LakeRow[] {
  return readings.map((r) => {
    const m = readingToRow(r);
    if (!('row' in m)) throw new Error(m.rejected.reason);
    return m.row;
  });
}

describe('lake parquet core', () => {
  it('keeps every EKM field: typed columns, the dotted rename, unknown fields in extra', () => {
    // Act
    const m = readingToRow(v4Reading(0));
    // Assess
    if (!('row' in m)) throw new Error('rejected');
    expect(m.row).toMatchObject({
      meter: '000350000900',
      time: T0,
      good: true,
      kWh_Tot: 1000,
      Rev_kWh_Tot: 12.5,
      Power_Factor_Ln_1: 97,
      CT_Ratio: 200,
      Cos_Theta_Ln_1: '0.97 L',
      Meter_Time: '26112503100000',
      PERR_NR: '0',
      schema_version: LAKE_SCHEMA_VERSION,
      extra: '{"Some_New_Field":"42"}',
    });
    const back = rowToReading(m.row);
    expect(back.fields).toMatchObject({ kWh_Tot: 1000, Rev_kWh_Tot: 12.5, 'PERR.NR': '0', Some_New_Field: '42' });
    expect(readingToRow(back)).toEqual({ row: m.row });
  });

  it.each([
    [{ meter: '350000900' }, 'meter: expected a 12-digit meter id'],
    [{ timeMs: 1_764_000_000 }, 'outside 2000-01-01'],
    [{ timeMs: Number.NaN }, 'time: expected integer'],
    [{ fields: { kWh_Tot: 'abc' } }, 'kWh_Tot: expected a number, got "abc"'],
    [{ fields: { State_Watts_Dir: '1.5' } }, 'State_Watts_Dir: expected an integer'],
    [{ source: 'ftp' }, 'source: expected realtime, summary or edge'],
  ])('fails when a reading is malformed (%j) and says why', (patch, reason) => {
    // Prepare
    const bad = { ...v4Reading(0), ...patch } as Reading;
    // Act
    const m = readingToRow(bad);
    // Assess
    expect('rejected' in m && m.rejected.reason).toContain(reason);
  });

  it('writes v3 and v4 reads and failed reads in one file that hyparquet and DuckDB read back', async () => {
    // Prepare: 300 v4 reads, 100 v3 reads (no v4-only fields), 5 failed reads (Good: 0)
    const v4 = Array.from({ length: 300 }, (_, i) => v4Reading(i));
    const v3 = Array.from(
      { length: 100 },
      (_, i): Reading => ({
        meter: '000300000369',
        timeMs: T0 + i * 60_000,
        good: true,
        protocol: 'v3',
        source: 'realtime',
        via: 'demo',
        fields: { kWh_Tot: `${200 + i}`, Meter_Status_Code: '00' },
      }),
    );
    const failed = Array.from(
      { length: 5 },
      (_, i): Reading => ({
        meter: '000300000369',
        timeMs: T0 + (200 + i) * 60_000,
        good: false,
        source: 'realtime',
        via: 'demo',
        fields: { 'PERR.NR': '26950' },
      }),
    );
    const rows = rowsOf([...v4, ...v3, ...failed]);
    // Act
    const bytes = encodeRows('realtime', rows);
    // Assess: magic bytes, then two independent readers agree on count, sums and time range
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('PAR1');
    const hy = await readWithHyparquet(bytes);
    expect(hy).toHaveLength(405);
    const sum = hy.reduce((s, r) => s + (typeof r.kWh_Tot === 'number' ? r.kWh_Tot : 0), 0);
    const expected =
      v4.reduce((s, r) => s + Number(r.fields.kWh_Tot), 0) + v3.reduce((s, r) => s + Number(r.fields.kWh_Tot), 0);
    expect(sum).toBeCloseTo(expected, 6);
    expect(hy.filter((r) => r.good === false)).toHaveLength(5);
    expect(hy.find((r) => r.protocol === 'v3')?.Line_Freq).toBeNull();
    const meta = hyparquetSchema(bytes);
    const timeCol = meta.schema.find((s) => s.name === 'time');
    expect(timeCol?.logical_type).toMatchObject({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' });
    expect(meta.schema.slice(1).map((s) => s.name)).toEqual(READING_COLUMNS.map((c) => c.name));
    const chunk = meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'meter')?.meta_data;
    expect(chunk?.codec).toBe('SNAPPY');
    expect(chunk?.encodings).toContain('RLE_DICTIONARY');

    const [duck] = await duckdbOverBytes(
      [bytes],
      `SELECT count(*)::INT AS n, sum(kWh_Tot) AS kwh, epoch_ms(min(time))::BIGINT AS t0, epoch_ms(max(time))::BIGINT AS t1,
              count(*) FILTER (WHERE NOT good)::INT AS bad, typeof(any_value(time)) AS time_type,
              typeof(any_value(State_Watts_Dir)) AS state_type, typeof(any_value(RMS_Volts_Ln_1)) AS volts_type FROM t`,
    );
    expect(duck).toMatchObject({ n: 405, bad: 5, t0: BigInt(T0), t1: BigInt(T0 + 299 * 60_000) });
    expect(Number(duck?.kwh)).toBeCloseTo(expected, 6);
    expect(duck).toMatchObject({ time_type: 'TIMESTAMP WITH TIME ZONE', state_type: 'INTEGER', volts_type: 'DOUBLE' });
    // And our own decoder round-trips to the same readings.
    expect(decodeRows(bytes)).toEqual(
      rows.map((r) => ({ ...Object.fromEntries(READING_COLUMNS.map((c) => [c.name, null])), ...r })),
    );
  });

  it('writes an empty file with the full schema', async () => {
    const bytes = encodeRows('summary', []);
    expect(await readWithHyparquet(bytes)).toEqual([]);
    expect(hyparquetSchema(bytes).schema).toHaveLength(SUMMARY_COLUMNS.length + 1);
  });

  it('merges re-delivered and out-of-order reads into one row each, sorted', () => {
    const a = rowsOf([v4Reading(2), v4Reading(0)]);
    const b = rowsOf([v4Reading(1), v4Reading(2), v4Reading(0)]);
    const merged = mergeRows('realtime', a, b);
    expect(merged.map((r) => r.time)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
  });

  it('maps summary buckets (known aggregates as columns, others in extra) and gap-fill readings', async () => {
    const bucket = {
      meter: '000350000900',
      startMs: T0,
      endMs: T0 + 900_000,
      report: '15' as const,
      values: { kWh_Tot_First: 10, kWh_Tot_Last: 12, kWh_Tot_Diff: 2, RMS_Volts_Ln_1_Average: 120, Count: 15 },
    };
    const m = bucketToRow(bucket, 'demo');
    if (!('row' in m)) throw new Error(m.rejected.reason);
    expect(m.row.extra).toBe('{"Count":15}');
    const bytes = encodeRows('summary', [m.row]);
    expect(rowToBucket(decodeRows(bytes)[0]!)).toEqual(bucket);
    const [duck] = await duckdbOverBytes([bytes], 'SELECT sum(kWh_Tot_Diff) AS d FROM t');
    expect(duck?.d).toBe(2);
    expect(bucketToGapReading(bucket, 'demo')).toEqual({
      meter: '000350000900',
      timeMs: T0,
      good: true,
      source: 'summary',
      via: 'demo',
      fields: { kWh_Tot: 10, RMS_Volts_Ln_1: 120 },
    });
  });

  it('builds deterministic Hive-style object keys and parses them back', () => {
    const ref = {
      dataset: 'realtime' as const,
      origin: 'demo',
      date: '2026-11-25',
      window: { kind: 'hour' as const, hour: 7 },
      shard: 3,
    };
    const key = objectKey('lake/', ref);
    expect(key).toBe('lake/dataset=realtime/date=2026-11-25/origin=demo/h07-s03.parquet');
    expect(parseObjectKey(key)).toEqual(ref);
    expect(objectKey('', { ...ref, window: { kind: 'day' } })).toBe(
      'dataset=realtime/date=2026-11-25/origin=demo/day-s03.parquet',
    );
    expect(() => objectKey('', { ...ref, origin: 'MTAxMDoyMDIw' })).toThrow(/origin/);
    expect(shardOf('000350000900', 8)).toBe(shardOf('000350000900', 8));
    expect(shardOf('000350000900', 1)).toBe(0);
  });
});
