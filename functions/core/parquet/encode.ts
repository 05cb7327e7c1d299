import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { type ColumnSpec, columnsOf, DATASETS, type Dataset, LAKE_SCHEMA_VERSION } from './lake-schema';
import { type CellValue, emptyRow, type LakeRow } from './rows';

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

function fail(spec: ColumnSpec, i: number, v: CellValue | undefined): never {
  throw new TypeError(`lake encode: row ${i} column ${spec.name} (${spec.type}) got ${JSON.stringify(v)}`);
}

function vectorOf(spec: ColumnSpec, rows: readonly LakeRow[]): arrow.Vector {
  const n = rows.length;
  const name = spec.name;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  const present = (i: number, v: CellValue | undefined): boolean => {
    if (v === null || v === undefined) {
      if (!spec.nullable) fail(spec, i, null);
      nulls++;
      return false;
    }
    bitmap[i >> 3]! |= 1 << (i & 7);
    return true;
  };
  const finish = (type: arrow.DataType, data: Partial<arrow.Data>) =>
    arrow.makeVector(
      arrow.makeData({
        type,
        length: n,
        nullCount: nulls,
        nullBitmap: nulls > 0 ? bitmap : undefined,
        ...data,
      } as never),
    );
  switch (spec.type) {
    case 'double': {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (!present(i, v)) continue;
        if (typeof v !== 'number') fail(spec, i, v);
        data[i] = v;
      }
      return finish(new arrow.Float64(), { data } as never);
    }
    case 'int': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (!present(i, v)) continue;
        if (typeof v !== 'number' || !Number.isInteger(v)) fail(spec, i, v);
        data[i] = v;
      }
      return finish(new arrow.Int32(), { data } as never);
    }
    case 'timestamp': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (!present(i, v)) continue;
        if (typeof v !== 'number' || !Number.isInteger(v)) fail(spec, i, v);
        data[i] = BigInt(v);
      }
      return finish(new arrow.TimestampMillisecond('UTC'), { data } as never);
    }
    case 'bool': {
      const data = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (!present(i, v)) continue;
        if (typeof v !== 'boolean') fail(spec, i, v);
        if (v) data[i >> 3]! |= 1 << (i & 7);
      }
      return finish(new arrow.Bool(), { data } as never);
    }
    default: {
      // UTF-8 built directly (offsets + bytes): arrow's generic builder is far slower on wide tables.
      const valueOffsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (present(i, v)) {
          if (typeof v !== 'string') fail(spec, i, v);
          total += Buffer.byteLength(v);
        }
        valueOffsets[i + 1] = total;
      }
      const data = Buffer.allocUnsafe(total);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![name];
        if (typeof v === 'string') data.write(v, valueOffsets[i]!);
      }
      return finish(new arrow.Utf8(), {
        valueOffsets,
        data: new Uint8Array(data.buffer, data.byteOffset, total),
      } as never);
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

function datasetOfColumns(names: readonly string[]): Dataset | undefined {
  for (const d of DATASETS) {
    const cols = columnsOf(d);
    if (cols.length === names.length && cols.every((c, i) => c.name === names[i])) return d;
  }
  return undefined;
}

/** Decode a lake Parquet file back into rows (timestamps as epoch ms). Used by merge and compaction. */
export function decodeRows(bytes: Uint8Array): LakeRow[] {
  const wasmTable = parquet.readParquet(bytes);
  const table = arrow.tableFromIPC(wasmTable.intoIPCStream());
  const names = table.schema.fields.map((f) => f.name);
  const vectors = names.map((name) => table.getChild(name)!);
  const timestamp = table.schema.fields.map((f) => arrow.DataType.isTimestamp(f.type));
  const dataset = datasetOfColumns(names);
  const rows: LakeRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: LakeRow = dataset ? emptyRow(dataset) : {};
    for (let c = 0; c < names.length; c++) {
      const raw = vectors[c]!.get(i);
      row[names[c]!] = timestamp[c] && raw !== null && raw !== undefined ? Number(raw) : cell(raw);
    }
    rows[i] = row;
  }
  return rows;
}
