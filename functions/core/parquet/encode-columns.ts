import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { type ColumnBatch, type ColumnBatchBuilder, type ColumnData, isText } from './column-batch';
import { properties } from './encode';
import { type ColumnSpec, READING_COLUMNS } from './lake-schema';

/**
 * Parquet encoding of a `realtime` {@link ColumnBatch}: the typed buffers become Arrow vectors as
 * they are (no row objects, no per-cell work besides timestamps), written by parquet-wasm with the
 * settings of encode.ts `encodeRows` (snappy, page V1, dictionaries), so both give the same file.
 */

/** Set bits per byte value. */
const BITS = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let x = v; x > 0; x >>= 1) n += x & 1;
  return n;
});

/** Set bits among the first `n` of a bitmap (bits past `n` may be set in an over-allocated builder buffer). */
function popcount(bits: Uint8Array, n: number): number {
  const whole = n >> 3;
  let set = 0;
  for (let i = 0; i < whole; i++) set += BITS[bits[i]!]!;
  for (let i = whole << 3; i < n; i++) set += (bits[i >> 3]! >> (i & 7)) & 1;
  return set;
}

/** Epoch ms (exact integers) as INT64: two 32-bit words per value, no BigInt per cell (little-endian host). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function int64Of(ms: Float64Array): BigInt64Array {
  const out = new BigInt64Array(ms.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < ms.length; i++) out[i] = BigInt(ms[i]!);
    return out;
  }
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < ms.length; i++) {
    const v = ms[i]!;
    words[2 * i] = v;
    words[2 * i + 1] = Math.floor(v / 4294967296);
  }
  return out;
}

function vectorOf(spec: ColumnSpec, col: ColumnData, n: number): arrow.Vector {
  const nulls = n - popcount(col.validity, n);
  if (nulls > 0 && !spec.nullable) throw new TypeError(`lake encode: column ${spec.name} (${spec.type}) has nulls`);
  const common = { length: n, nullCount: nulls, nullBitmap: nulls > 0 ? col.validity : undefined };
  switch (col.type) {
    case 'double':
      return arrow.makeVector(arrow.makeData({ type: new arrow.Float64(), ...common, data: col.values }));
    case 'timestamp':
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.TimestampMillisecond('UTC'), ...common, data: int64Of(col.values) } as never),
      );
    case 'int':
      return arrow.makeVector(arrow.makeData({ type: new arrow.Int32(), ...common, data: col.values }));
    case 'bool':
      return arrow.makeVector(arrow.makeData({ type: new arrow.Bool(), ...common, data: col.values }));
    default:
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.Utf8(), ...common, valueOffsets: col.offsets, data: col.bytes }),
      );
  }
}

/** Encode a `realtime` batch as one Parquet file (columns in schema order, rows in batch order). */
export function encodeColumns(batch: ColumnBatch): Uint8Array {
  const columns: Record<string, arrow.Vector> = {};
  READING_COLUMNS.forEach((spec, c) => {
    columns[spec.name] = vectorOf(spec, batch.columns[c] as ColumnData, batch.length);
  });
  const ipc = arrow.tableToIPC(new arrow.Table(columns), 'stream');
  return parquet.writeParquet(parquet.Table.fromIPCStream(ipc), properties());
}

/** Rows `[from, to)` of a batch without copying values (`from` a multiple of 8, so bitmaps stay byte-aligned). */
function sliceOf(batch: ColumnBatch, from: number, to: number): ColumnBatch {
  const bits = (b: Uint8Array) => b.subarray(from >> 3, (to + 7) >> 3);
  return {
    length: to - from,
    columns: batch.columns.map((col): ColumnData => {
      if (isText(col)) {
        const base = col.offsets[from]!;
        const offsets = new Int32Array(to - from + 1);
        for (let i = 0; i <= to - from; i++) offsets[i] = col.offsets[from + i]! - base;
        return {
          type: col.type,
          offsets,
          bytes: col.bytes.subarray(base, col.offsets[to]),
          validity: bits(col.validity),
        };
      }
      if (col.type === 'bool') return { type: 'bool', values: bits(col.values), validity: bits(col.validity) };
      if (col.type === 'int')
        return { type: 'int', values: col.values.subarray(from, to), validity: bits(col.validity) };
      return { type: col.type, values: col.values.subarray(from, to), validity: bits(col.validity) };
    }),
  };
}

/** Rows per record batch handed to the streaming writer (a multiple of 8). */
const SLICE_ROWS = 64 * 1024;

/**
 * {@link encodeColumns} for large batches: the same file (same rows, row groups and settings),
 * but the writer receives the rows one record batch of `sliceRows` (default {@link SLICE_ROWS}) at a time, so neither an
 * IPC copy of the whole batch nor a wasm copy of it is ever held (peak memory is the batch plus a
 * slice plus the encoded pages).
 */
export async function encodeColumnsStreaming(batch: ColumnBatch, sliceRows = SLICE_ROWS): Promise<Uint8Array> {
  if (!Number.isInteger(sliceRows) || sliceRows < 8 || sliceRows % 8 !== 0)
    throw new RangeError(`sliceRows must be a positive multiple of 8, got ${sliceRows}`);
  let from = 0;
  const input = new ReadableStream<parquet.RecordBatch>({
    pull(controller) {
      if (from >= batch.length && from > 0) {
        controller.close();
        return;
      }
      const to = Math.min(batch.length, from + sliceRows);
      const slice = sliceOf(batch, from, to);
      const columns: Record<string, arrow.Vector> = {};
      READING_COLUMNS.forEach((spec, c) => {
        columns[spec.name] = vectorOf(spec, slice.columns[c] as ColumnData, slice.length);
      });
      const table = parquet.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table(columns), 'stream'));
      const recordBatch = table.recordBatch(0);
      table.free();
      from = to === 0 ? 1 : to;
      if (recordBatch) controller.enqueue(recordBatch);
      if (to >= batch.length) controller.close();
    },
  });
  const output = (await parquet.transformParquetStream(input, properties())) as ReadableStream<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = output.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Append the rows of a `realtime` Parquet object to a builder (for merge-on-write). Throws when the
 * object's columns are not the `realtime` schema.
 */
export function decodeColumnsInto(bytes: Uint8Array, builder: ColumnBatchBuilder): void {
  const table = arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
  const names = table.schema.fields.map((f) => f.name);
  if (names.length !== READING_COLUMNS.length || READING_COLUMNS.some((c, i) => c.name !== names[i]))
    throw new TypeError(`lake decode: not a realtime object (columns ${names.slice(0, 8).join(', ')}, …)`);
  for (const batch of table.batches) builder.appendArrow(batch);
}
