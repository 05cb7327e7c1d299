import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { type ColumnSpec, columnsOf, type Dataset, LAKE_SCHEMA_VERSION } from './lake-schema';
import type { CellValue, LakeRow } from './rows';

/**
 * Parquet encoding of lake rows: apache-arrow builds typed columns, parquet-wasm (Rust `parquet`)
 * writes them with snappy, data page V1 (what Athena reads best) and dictionary encoding. Chosen by
 * measurement against hyparquet-writer (which writes only data page V2); see README "Data lake".
 */

/** Rows per row group: large enough for Athena scans, small enough for a Lambda's memory. */
const MAX_ROW_GROUP_ROWS = 128 * 1024;

function properties(dataset: Dataset): parquet.WriterProperties {
  // writeParquet consumes (moves into wasm) its WriterProperties, so build one per call; it is cheap.
  return new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setWriterVersion(parquet.WriterVersion.V1)
    .setDictionaryEnabled(true)
    .setMaxRowGroupSize(MAX_ROW_GROUP_ROWS)
    .setCreatedBy('ekm-pipeline lake')
    .setKeyValueMetadata(
      new Map([
        ['ekm_pipeline.dataset', dataset],
        ['ekm_pipeline.schema_version', String(LAKE_SCHEMA_VERSION)],
      ]),
    )
    .build();
}

function validity(rows: readonly LakeRow[], name: string): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((rows.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]?.[name];
    if (v === null || v === undefined) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nulls };
}

function fail(spec: ColumnSpec, i: number, v: CellValue | undefined): never {
  throw new TypeError(`lake encode: row ${i} column ${spec.name} (${spec.type}) got ${JSON.stringify(v)}`);
}

function vectorOf(spec: ColumnSpec, rows: readonly LakeRow[]): arrow.Vector {
  const n = rows.length;
  const { bitmap, nulls } = validity(rows, spec.name);
  if (!spec.nullable && nulls > 0) {
    const i = rows.findIndex((r) => r[spec.name] === null || r[spec.name] === undefined);
    fail(spec, i, null);
  }
  const nullBitmap = nulls > 0 ? bitmap : undefined;
  switch (spec.type) {
    case 'double': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![spec.name];
        if (typeof v === 'number') data[i] = v;
        else if (v !== null && v !== undefined) fail(spec, i, v);
      }
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: nulls, nullBitmap, data }),
      );
    }
    case 'int': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![spec.name];
        if (typeof v === 'number' && Number.isInteger(v)) data[i] = v;
        else if (v !== null && v !== undefined) fail(spec, i, v);
      }
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: nulls, nullBitmap, data }),
      );
    }
    case 'timestamp': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![spec.name];
        if (typeof v === 'number' && Number.isInteger(v)) data[i] = BigInt(v);
        else if (v !== null && v !== undefined) fail(spec, i, v);
      }
      const type = new arrow.TimestampMillisecond('UTC');
      return arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap, data }));
    }
    case 'bool': {
      const values = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![spec.name];
        if (v === true) values[i >> 3]! |= 1 << (i & 7);
        else if (v !== false && v !== null && v !== undefined) fail(spec, i, v);
      }
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.Bool(), length: n, nullCount: nulls, nullBitmap, data: values }),
      );
    }
    default: {
      const values: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![spec.name];
        if (typeof v === 'string') values[i] = v;
        else if (v === null || v === undefined) values[i] = null;
        else fail(spec, i, v);
      }
      return arrow.vectorFromArray(values, new arrow.Utf8());
    }
  }
}

/**
 * Encode rows of a dataset as one Parquet file (snappy, page V1, dictionaries), columns in schema
 * order; columns a row does not set are null. Throws a TypeError naming the row and column when a
 * value does not fit its column (callers map and validate first, so this is a programming error).
 */
export function encodeRows(dataset: Dataset, rows: readonly LakeRow[]): Uint8Array {
  const columns: Record<string, arrow.Vector> = {};
  for (const spec of columnsOf(dataset)) columns[spec.name] = vectorOf(spec, rows);
  const table = new arrow.Table(columns);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, properties(dataset));
}

function cell(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}

/** Decode a lake Parquet file back into rows (timestamps as epoch ms). Used by merge and compaction. */
export function decodeRows(bytes: Uint8Array): LakeRow[] {
  const wasmTable = parquet.readParquet(bytes);
  const table = arrow.tableFromIPC(wasmTable.intoIPCStream());
  const names = table.schema.fields.map((f) => f.name);
  const vectors = names.map((name) => table.getChild(name)!);
  const timestamp = table.schema.fields.map((f) => arrow.DataType.isTimestamp(f.type));
  const rows: LakeRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: LakeRow = {};
    for (let c = 0; c < names.length; c++) {
      const raw = vectors[c]!.get(i);
      row[names[c]!] = timestamp[c] && raw !== null && raw !== undefined ? Number(raw) : cell(raw);
    }
    rows[i] = row;
  }
  return rows;
}
