import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { parseReadResponse } from '../../functions/core/ekm/realtime';
import { decodeRows, encodeRows } from '../../functions/core/parquet/encode';
import {
  type ColumnSpec,
  type ColumnType,
  columnNameOf,
  columnsOf,
  type Dataset,
  emptyRowFactory,
  LAKE_SCHEMA_VERSION,
  READING_COLUMNS,
} from '../../functions/core/parquet/lake-schema';
import { type CellValue, type LakeRow, readingToRow } from '../../functions/core/parquet/rows';
import type { FieldValue, Reading } from '../../functions/core/readings/reading';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';
import { startFakeCloud } from '../../local/ekm-cloud/server';
import { readWithHyparquet } from '../fakes/lake-readers';

/*
 * Differential tests: the optimized row mapping and encoder against the straightforward reference
 * implementations they replaced (kept verbatim below), on simulator reads (v3 + v4 + failed reads)
 * and on hand-made edge cases. Data pages must be byte-identical; only the footer's key/value
 * metadata order may differ (parquet-wasm writes it from a hash map, in no fixed order).
 */

// ---- reference row mapping (before the optimization) -------------------------------------------
const refEmptyRow = emptyRowFactory(READING_COLUMNS);
const refTypes = new Map<string, ColumnType>(READING_COLUMNS.map((c) => [c.name, c.type]));
const REF_META = new Set(['meter', 'time', 'good', 'protocol', 'source', 'via', 'schema_version', 'extra']);
const REF_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
function refToDouble(value: FieldValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = value.trim();
  // Decimal text that overflows a double ("1e400") is refused like any non-finite number.
  return REF_DECIMAL.test(text) && Number.isFinite(Number(text)) ? Number(text) : undefined;
}
/** The rejection for a value that is not a finite number (core/parquet/rows.ts `notANumber`). */
function refNotANumber(field: string, value: FieldValue, expected: string): string {
  return typeof value === 'number' || REF_DECIMAL.test(value.trim())
    ? `${field}: ${JSON.stringify(String(value))} is not a finite number (outside the range of a double)`
    : `${field}: expected ${expected}, got ${JSON.stringify(value)}`;
}
function refToInt(value: FieldValue): number | undefined {
  const n = refToDouble(value);
  return n !== undefined && Number.isInteger(n) && Math.abs(n) <= 2_147_483_647 ? n : undefined;
}
/** The field loop of the reference `readingToRow` (metadata checks are unchanged code). */
function refFields(reading: Reading): LakeRow | string {
  const row: LakeRow = refEmptyRow();
  let extra: Record<string, FieldValue> | undefined;
  for (const field in reading.fields) {
    const value = reading.fields[field] as FieldValue;
    const column = columnNameOf(field);
    const type = REF_META.has(column) ? undefined : refTypes.get(column);
    if (type === undefined) {
      extra ??= {};
      extra[field] = value;
      continue;
    }
    // EKM's dotted name and its column spelling are one field: both in one reading is refused.
    if (column !== field && reading.fields[column] !== undefined)
      return `${field} and ${column} are one field (column ${column}); send only one of them`;
    if (typeof value !== 'number' && typeof value !== 'string')
      return `${field}: expected a number or decimal text, got ${JSON.stringify(value)}`;
    if (type === 'double') {
      const n = refToDouble(value);
      if (n === undefined) return refNotANumber(field, value, 'a number');
      row[column] = n;
    } else if (type === 'int') {
      const n = refToInt(value);
      if (n === undefined && refToDouble(value) === undefined)
        return refNotANumber(field, value, 'an integer state/setting');
      if (n === undefined) return `${field}: expected an integer state/setting, got ${JSON.stringify(value)}`;
      row[column] = n;
    } else row[column] = String(value);
  }
  row.extra = extra ? JSON.stringify(extra) : null;
  return row;
}

// ---- reference encoder (before the optimization) ------------------------------------------------
function refVector(spec: ColumnSpec, rows: readonly LakeRow[]): arrow.Vector {
  const n = rows.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  const present = (i: number, v: CellValue | undefined): boolean => {
    if (v === null || v === undefined) {
      if (!spec.nullable) throw new TypeError(`row ${i} ${spec.name}`);
      nulls++;
      return false;
    }
    bitmap[i >> 3]! |= 1 << (i & 7);
    return true;
  };
  const finish = (type: arrow.DataType, data: Record<string, unknown>) =>
    arrow.makeVector(
      arrow.makeData({
        type,
        length: n,
        nullCount: nulls,
        nullBitmap: nulls > 0 ? bitmap : undefined,
        ...data,
      } as never),
    );
  const get = (i: number) => rows[i]![spec.name];
  switch (spec.type) {
    case 'double': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) if (present(i, get(i))) data[i] = get(i) as number;
      return finish(new arrow.Float64(), { data });
    }
    case 'int': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) if (present(i, get(i))) data[i] = get(i) as number;
      return finish(new arrow.Int32(), { data });
    }
    case 'timestamp': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (present(i, get(i))) data[i] = BigInt(get(i) as number);
      return finish(new arrow.TimestampMillisecond('UTC'), { data });
    }
    case 'bool': {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (present(i, get(i)) && get(i)) data[i >> 3]! |= 1 << (i & 7);
      return finish(new arrow.Bool(), { data });
    }
    default: {
      const valueOffsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (present(i, v)) total += Buffer.byteLength(v as string);
        valueOffsets[i + 1] = total;
      }
      const data = Buffer.allocUnsafe(total);
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (typeof v === 'string') data.write(v, valueOffsets[i]!);
      }
      return finish(new arrow.Utf8(), { valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, total) });
    }
  }
}
function refEncode(dataset: Dataset, rows: readonly LakeRow[]): Uint8Array {
  const columns: Record<string, arrow.Vector> = {};
  for (const spec of columnsOf(dataset)) columns[spec.name] = refVector(spec, rows);
  const props = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setWriterVersion(parquet.WriterVersion.V1)
    .setDictionaryEnabled(true)
    .setMaxRowGroupSize(128 * 1024)
    .setCreatedBy('ekm-pipeline lake')
    .setKeyValueMetadata(new Map([['ekm_pipeline.schema_version', String(LAKE_SCHEMA_VERSION)]]))
    .build();
  return parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(columns), 'stream')), props);
}

/** Everything before the footer (magic, column chunks, pages): what the values are written as. */
function dataPages(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.subarray(0, b.length - 8 - b.readUInt32LE(b.length - 8));
}

function expectSameFile(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(dataPages(actual).equals(dataPages(expected))).toBe(true);
  expect(decodeRows(actual)).toEqual(decodeRows(expected));
}

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const base = { good: true, source: 'realtime', via: 'demo' } as const;

/** Readings that stress the mapping: text numbers, whitespace, exponents, renames, extra, non-ASCII. */
function edgeReadings(): Reading[] {
  const values: FieldValue[] = [
    '12.5',
    ' 12.5 ',
    '\t7\n',
    '1e3',
    '+.5',
    '-5.',
    '.',
    '',
    '0x10',
    'Infinity',
    '1_0',
    '1e',
    '1e400',
    '-1e400',
    '--1',
    '١٢',
    '\u00a012',
    '\ufeff3',
    '0200',
    2_147_483_648,
    -0,
    1.5,
    Number.NaN,
  ];
  const out: Reading[] = [];
  values.forEach((v, i) => {
    for (const field of ['kWh_Tot', 'CT_Ratio', 'Meter_Time', 'kWh.Tot', 'PERR.NR', 'meter', 'Brand_New'])
      out.push({ ...base, meter: '000350000900', timeMs: T0 + i * 1000, protocol: 'v4', fields: { [field]: v } });
  });
  out.push({
    ...base,
    meter: '000300000369',
    timeMs: T0,
    fields: { 'PERR.NR': '1', PERR_NR: '2', Model: 'Ω-meter ✓', Firmware: '\ud800x', Note: 'café', Flag: true },
  } as unknown as Reading);
  out.push({
    ...base,
    meter: '000300000369',
    timeMs: T0 + 1000,
    fields: { 'PERR.NR': '1', Model: 'Ω-meter ✓', Firmware: '\ud800x', Note: 'café', Flag: true },
  } as unknown as Reading);
  return out;
}

describe('lake parquet: optimized path = reference path', () => {
  it('maps every edge-case reading exactly like the reference (row or the same rejection)', () => {
    for (const reading of edgeReadings()) {
      const ref = refFields(reading);
      const m = readingToRow(reading);
      if (typeof ref === 'string') expect('rejected' in m && m.rejected.reason).toBe(ref);
      else expect(m).toEqual({ row: { ...ref, ...('row' in m ? pickMeta(m.row) : {}) } });
    }
  });

  it('encodes simulator reads (v3, v4, failed) and edge cases to the same Parquet data pages', async () => {
    // Prepare: 12 meters (every 4th v3) × 120 reads from the local EKM cloud, 2% failed reads.
    const cloud = await startFakeCloud({ account: generateAccount({ meters: 12 }), seed: 7, badReadRate: 0.02 });
    let body: string;
    try {
      const serials = cloud.account.gateways
        .flatMap((g) => g.meters.map((meter) => meter.id.replace(/^0+/, '')))
        .join('~');
      body = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${serials}&cnt=120`).then((r) =>
        r.text(),
      );
    } finally {
      await cloud.close();
    }
    const readings = [...parseReadResponse(body, { via: 'demo' }), ...edgeReadings()];
    const rows: LakeRow[] = [];
    for (const r of readings) {
      const m = readingToRow(r);
      if ('row' in m) rows.push(m.row);
    }
    expect(new Set(rows.map((r) => r.protocol))).toEqual(new Set(['v3', 'v4', null]));
    expect(rows.some((r) => r.good === false)).toBe(true);
    expect(rows.some((r) => typeof r.extra === 'string')).toBe(true);
    // Act
    const fast = encodeRows('realtime', rows);
    // Assess: same pages as the reference; an independent reader sees the row objects' values.
    expectSameFile(fast, refEncode('realtime', rows));
    const hy = await readWithHyparquet(fast);
    expect(hy).toHaveLength(rows.length);
    // What a reader can see of the edge cases: UTF-8 has no lone surrogates (written as U+FFFD by
    // both paths), hyparquet's TextDecoder drops a leading BOM, and the writer's dictionary keeps one
    // of 0 / -0 per column chunk (both paths alike), so the sign of a zero is not compared.
    const readable = (v: unknown) => {
      if (typeof v === 'string')
        return Buffer.from(v, 'utf8')
          .toString('utf8')
          .replace(/^\ufeff/, '');
      return Object.is(v, -0) ? 0 : v;
    };
    const got = hy.map((h) =>
      READING_COLUMNS.map((c) => readable(h[c.name] instanceof Date ? (h[c.name] as Date).getTime() : h[c.name])),
    );
    expect(got).toEqual(rows.map((r) => READING_COLUMNS.map((c) => readable(r[c.name]))));
  });

  it('encodes rows of other shapes, extreme timestamps, non-ASCII and lone surrogates like the reference', () => {
    // Prepare: rows NOT built from the one row shape (partial objects, key order shuffled).
    const times = [0, -1, -4_294_967_296, 4_294_967_295, 4_294_967_296, 2 ** 53 - 1, -(2 ** 53 - 1), T0];
    const rows: LakeRow[] = times.map((time, i) => ({
      via: i % 2 ? 'demo' : 'gw-Ω',
      meter: `00035000090${i}`,
      time,
      good: i % 3 === 0,
      source: 'edge',
      schema_version: 1,
      ...(i % 2 ? { Model: i === 3 ? '\udc00' : 'é' } : { Firmware: '\ud83d', Model: '\ude00' }),
      ...(i === 5 ? { kWh_Tot: -0, CT_Ratio: -2_147_483_648, extra: '{"a":"ü"}' } : {}),
    }));
    // Act + Assess
    for (const dataset of ['realtime'] as const) expectSameFile(encodeRows(dataset, rows), refEncode(dataset, rows));
    expectSameFile(encodeRows('realtime', []), refEncode('realtime', []));
    const quarantine: LakeRow[] = [
      {
        detected_at: T0,
        meter: null,
        time: null,
        source: 'realtime',
        via: 'x',
        reason: 'r',
        raw: '"\u2028"',
        schema_version: 1,
      },
    ];
    expectSameFile(encodeRows('quarantine', quarantine), refEncode('quarantine', quarantine));
  });

  it('names the row and column of a value that does not fit', () => {
    const row = {
      ...refEmptyRow(),
      meter: '000350000900',
      time: T0,
      good: true,
      source: 'edge',
      via: 'v',
      schema_version: 1,
    };
    expect(() => encodeRows('realtime', [row, { ...row, CT_Ratio: 1.5 }])).toThrow(
      'lake encode: row 1 column CT_Ratio (int) got 1.5',
    );
    expect(() => encodeRows('realtime', [{ ...row, via: null }])).toThrow(
      'lake encode: row 0 column via (string) got null',
    );
  });
});

/** The metadata columns `readingToRow` sets itself (unchanged code); the reference covers the fields. */
function pickMeta(row: LakeRow): LakeRow {
  const out: LakeRow = {};
  for (const k of ['meter', 'time', 'good', 'protocol', 'source', 'via', 'schema_version']) out[k] = row[k] ?? null;
  return out;
}
