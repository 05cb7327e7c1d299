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

/** The writer settings of every lake object (also used by encode-columns.ts). */
export function properties(): parquet.WriterProperties {
  // writeParquet consumes (moves into wasm) its WriterProperties, so build one per call; it is cheap.
  return (
    new parquet.WriterPropertiesBuilder()
      .setCompression(parquet.Compression.SNAPPY)
      .setWriterVersion(parquet.WriterVersion.V1)
      .setDictionaryEnabled(true)
      .setMaxRowGroupSize(MAX_ROW_GROUP_ROWS)
      .setCreatedBy('ekm-pipeline lake')
      // One key: the writer keeps key-value metadata in a hash map whose order changes from call to
      // call, and a run object's key is the hash of its bytes (the dataset is in the object's path).
      .setKeyValueMetadata(new Map([['ekm_pipeline.schema_version', String(LAKE_SCHEMA_VERSION)]]))
      .build()
  );
}

function fail(spec: ColumnSpec, i: number, v: CellValue | undefined): never {
  throw new TypeError(`lake encode: row ${i} column ${spec.name} (${spec.type}) got ${JSON.stringify(v)}`);
}

/** Timestamps are written as two 32-bit words per value (no BigInt per cell); that layout needs a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** One column being filled: typed data, validity bitmap, null count, or the strings of a text column. */
interface ColumnFill {
  data: Float64Array | Int32Array | Uint32Array | BigInt64Array | Uint8Array | null;
  bitmap: Uint8Array;
  nulls: number;
  strings: (string | null)[] | null;
}

type Filler = (
  rows: readonly LakeRow[],
  cols: ColumnFill[],
  fail: (c: number, i: number, v: CellValue | undefined) => never,
) => void;

/**
 * Generate the per-dataset filler: ONE pass over the rows that reads every column by its literal
 * name (monomorphic property loads on the one row shape of `emptyRow`) and writes typed arrays and
 * validity bitmaps directly. A generic per-column loop (`row[name]`, a closure per cell) cost as
 * much as the Parquet writer itself. Column names come from the static schema, never from input.
 */
function makeFiller(specs: readonly ColumnSpec[], from: number, to: number): Filler {
  const head: string[] = [];
  const body: string[] = [];
  const tail: string[] = [];
  for (let c = from; c < to; c++) {
    const spec = specs[c]!;
    const v = `v${c}`;
    head.push(`const d${c} = cols[${c}].data, b${c} = cols[${c}].bitmap, s${c} = cols[${c}].strings; let n${c} = 0;`);
    tail.push(`cols[${c}].nulls = n${c};`);
    const onNull = spec.nullable
      ? `n${c}++;${spec.type === 'string' || spec.type === 'json' ? ` s${c}.push(null);` : ''}`
      : `fail(${c}, i, null);`;
    let store: string;
    switch (spec.type) {
      case 'double':
        store = `if (typeof ${v} !== 'number') fail(${c}, i, ${v}); d${c}[i] = ${v};`;
        break;
      case 'int':
        store = `if (typeof ${v} !== 'number' || !Number.isInteger(${v})) fail(${c}, i, ${v}); d${c}[i] = ${v};`;
        break;
      case 'timestamp':
        // Low word: ToUint32 (exact modulo 2^32); high word: floor(v / 2^32), wrapped like BigInt64Array would.
        store = LITTLE_ENDIAN
          ? `if (typeof ${v} !== 'number' || !Number.isInteger(${v})) fail(${c}, i, ${v}); d${c}[2 * i] = ${v}; d${c}[2 * i + 1] = Math.floor(${v} / 4294967296);`
          : `if (typeof ${v} !== 'number' || !Number.isInteger(${v})) fail(${c}, i, ${v}); d${c}[i] = BigInt(${v});`;
        break;
      case 'bool':
        store = `if (typeof ${v} !== 'boolean') fail(${c}, i, ${v}); if (${v}) d${c}[k] |= m;`;
        break;
      default:
        store = `if (typeof ${v} !== 'string') fail(${c}, i, ${v}); s${c}.push(${v});`;
    }
    body.push(
      `const ${v} = r[${JSON.stringify(spec.name)}]; if (${v} === null || ${v} === undefined) { ${onNull} } else { b${c}[k] |= m; ${store} }`,
    );
  }
  const source = `"use strict";
return function fill(rows, cols, fail) {
${head.join('\n')}
const n = rows.length;
for (let i = 0; i < n; i++) {
const r = rows[i], k = i >> 3, m = 1 << (i & 7);
${body.join('\n')}
}
${tail.join('\n')}
};`;
  return new Function(source)() as Filler;
}

/**
 * Columns per generated filler. One function for all ~95 columns took TurboFan ~0.5 s to compile
 * (paid again in every fresh Lambda); groups this size compile in a few ms and still read each row
 * object while it is in cache.
 */
const FILL_GROUP = 16;

const fillers = new Map<Dataset, Filler[]>();

function fillersOf(dataset: Dataset): Filler[] {
  let list = fillers.get(dataset);
  if (!list) {
    const specs = columnsOf(dataset);
    list = [];
    for (let from = 0; from < specs.length; from += FILL_GROUP)
      list.push(makeFiller(specs, from, Math.min(specs.length, from + FILL_GROUP)));
    fillers.set(dataset, list);
  }
  return list;
}

function newFill(spec: ColumnSpec, n: number): ColumnFill {
  const bitmap = new Uint8Array((n + 7) >> 3);
  switch (spec.type) {
    case 'double':
      return { data: new Float64Array(n), bitmap, nulls: 0, strings: null };
    case 'int':
      return { data: new Int32Array(n), bitmap, nulls: 0, strings: null };
    case 'timestamp':
      return { data: LITTLE_ENDIAN ? new Uint32Array(2 * n) : new BigInt64Array(n), bitmap, nulls: 0, strings: null };
    case 'bool':
      return { data: new Uint8Array((n + 7) >> 3), bitmap, nulls: 0, strings: null };
    default:
      return { data: null, bitmap, nulls: 0, strings: [] };
  }
}

/** UTF-8 offsets + bytes of a text column (nulls are zero-length); one encode call when all text is ASCII. */
function utf8Of(strings: readonly (string | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const n = strings.length;
  const valueOffsets = new Int32Array(n + 1);
  const joined = strings.join('');
  const all = Buffer.from(joined, 'utf8');
  if (all.length === joined.length) {
    // ASCII only: bytes = chars, and concatenating the encodings is encoding the concatenation.
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = strings[i];
      if (s) total += s.length;
      valueOffsets[i + 1] = total;
    }
    return { valueOffsets, data: new Uint8Array(all.buffer, all.byteOffset, all.length) };
  }
  // Non-ASCII: encode each string on its own (a lone surrogate must not pair up with its neighbour).
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    if (s) total += Buffer.byteLength(s);
    valueOffsets[i + 1] = total;
  }
  const data = Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) {
    const s = strings[i];
    if (s) data.write(s, valueOffsets[i]!);
  }
  return { valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, total) };
}

function vectorOf(spec: ColumnSpec, fill: ColumnFill, n: number): arrow.Vector {
  const common = { length: n, nullCount: fill.nulls, nullBitmap: fill.nulls > 0 ? fill.bitmap : undefined };
  switch (spec.type) {
    case 'double':
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.Float64(), ...common, data: fill.data as Float64Array }),
      );
    case 'int':
      return arrow.makeVector(arrow.makeData({ type: new arrow.Int32(), ...common, data: fill.data as Int32Array }));
    case 'timestamp': {
      const d = fill.data as Uint32Array | BigInt64Array;
      const data = d instanceof BigInt64Array ? d : new BigInt64Array(d.buffer, d.byteOffset, n);
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.TimestampMillisecond('UTC'), ...common, data } as never),
      );
    }
    case 'bool':
      return arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), ...common, data: fill.data as Uint8Array }));
    default:
      return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), ...common, ...utf8Of(fill.strings!) }));
  }
}

/**
 * Encode rows of a dataset as one Parquet file (snappy, page V1, dictionaries), columns in schema
 * order; columns a row does not set are null. Throws a TypeError naming the row and column when a
 * value does not fit its column (callers map and validate first, so this is a programming error).
 */
export function encodeRows(dataset: Dataset, rows: readonly LakeRow[]): Uint8Array {
  const specs = columnsOf(dataset);
  const n = rows.length;
  const fills = specs.map((spec) => newFill(spec, n));
  const onBad = (c: number, i: number, v: CellValue | undefined): never => fail(specs[c]!, i, v);
  for (const filler of fillersOf(dataset)) filler(rows, fills, onBad);
  const columns: Record<string, arrow.Vector> = {};
  specs.forEach((spec, c) => {
    columns[spec.name] = vectorOf(spec, fills[c]!, n);
  });
  const table = new arrow.Table(columns);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, properties());
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
