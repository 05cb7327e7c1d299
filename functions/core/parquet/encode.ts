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

/** Throws the TypeError of a cell that does not fit its column (column `c` of the dataset, row `i`). */
type OnBad = (c: number, i: number, v: CellValue | undefined) => never;

/*
 * The column fill, in blocks of FILL_BLOCK rows. First each row of the block is copied into one
 * scratch array of cells in schema order: a `for…in` over a row of `emptyRow`'s shape walks its
 * fields in schema order, and V8 reads a `for…in` key of the object it iterates by field index
 * (no property lookup per cell); a row in another key order is read column by column by name.
 * Then one small loop per column kind (double, int, timestamp, bool, text) writes a column's typed
 * array and validity bitmap from the scratch cells, which are still in cache. Reading `row[name]`
 * in those loops instead (one keyed load site seeing every column name) made the whole encode about
 * a third slower; a generic per-column loop with a closure per cell cost as much as the Parquet writer.
 */

/** Rows per block of the fill; a multiple of 8, so every block starts on a bitmap byte. */
const FILL_BLOCK = 512;

/** The cells of rows `from` ≤ i < `to`: row i's column c is `cells[(i - from) * width + c]`. */
interface Block {
  cells: (CellValue | undefined)[];
  width: number;
  from: number;
  to: number;
}

/** Copy the block's rows into its cells, in schema order (`names`). */
function copyCells(block: Block, rows: readonly LakeRow[], names: readonly string[]): void {
  const { cells, width, from, to } = block;
  for (let i = from; i < to; i++) {
    const row = rows[i]!;
    const at = (i - from) * width;
    let c = 0;
    for (const key in row) {
      if (c === width || key !== names[c]) {
        c = -1;
        break;
      }
      cells[at + c++] = row[key];
    }
    if (c !== width) for (c = 0; c < width; c++) cells[at + c] = row[names[c]!];
  }
}

/**
 * Fill column `c` (`fill`) from the block's cells; a null (or missing) cell is refused when the column is not nullable.
 * One loop per column kind on purpose: each loop's check and store stay monomorphic and inline; a shared loop
 * with a per-kind store callback is one call per cell.
 */
type FillColumn = (block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad) => void;

function fillDouble(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const data = fill.data as Float64Array;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
    } else {
      if (typeof v !== 'number') bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      data[i] = v;
    }
  }
  fill.nulls += nulls;
}

function fillInt(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const data = fill.data as Int32Array;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v)) bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      data[i] = v;
    }
  }
  fill.nulls += nulls;
}

/** Epoch ms as two 32-bit words: low = ToUint32 (exact modulo 2^32), high = floor(v / 2^32), wrapped like BigInt64Array would. */
function fillTimestamp(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const data = fill.data as Uint32Array;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v)) bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      data[2 * i] = v;
      data[2 * i + 1] = Math.floor(v / 4294967296);
    }
  }
  fill.nulls += nulls;
}

/** Timestamps on a big-endian host: one BigInt per value. */
function fillTimestampBigInt(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const data = fill.data as BigInt64Array;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v)) bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      data[i] = BigInt(v);
    }
  }
  fill.nulls += nulls;
}

/** Booleans: the values are a bitmap too. */
function fillBool(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const data = fill.data as Uint8Array;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
    } else {
      if (typeof v !== 'boolean') bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      if (v) data[i >> 3]! |= 1 << (i & 7);
    }
  }
  fill.nulls += nulls;
}

/** Text and JSON columns: the strings in row order (null for a null cell), UTF-8 encoded by utf8Of. */
function fillText(block: Block, c: number, fill: ColumnFill, nullable: boolean, bad: OnBad): void {
  const { cells, width, from, to } = block;
  const strings = fill.strings!;
  const bitmap = fill.bitmap;
  let nulls = 0;
  for (let i = from; i < to; i++) {
    const v = cells[(i - from) * width + c];
    if (v === null || v === undefined) {
      if (!nullable) bad(c, i, null);
      nulls++;
      strings.push(null);
    } else {
      if (typeof v !== 'string') bad(c, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
      strings.push(v);
    }
  }
  fill.nulls += nulls;
}

function fillColumnOf(spec: ColumnSpec): FillColumn {
  switch (spec.type) {
    case 'double':
      return fillDouble;
    case 'int':
      return fillInt;
    case 'timestamp':
      return LITTLE_ENDIAN ? fillTimestamp : fillTimestampBigInt;
    case 'bool':
      return fillBool;
    default:
      return fillText;
  }
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
  const bad: OnBad = (c, i, v) => fail(specs[c]!, i, v);
  const fillColumns = specs.map(fillColumnOf);
  const names = specs.map((spec) => spec.name);
  const width = specs.length;
  const block: Block = { cells: new Array(Math.min(n, FILL_BLOCK) * width).fill(null), width, from: 0, to: 0 };
  for (let from = 0; from < n; from += FILL_BLOCK) {
    block.from = from;
    block.to = Math.min(n, from + FILL_BLOCK);
    copyCells(block, rows, names);
    for (let c = 0; c < width; c++) fillColumns[c]!(block, c, fills[c]!, specs[c]!.nullable, bad);
  }
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
