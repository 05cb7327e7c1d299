import type * as arrow from 'apache-arrow';
import { type ColumnSpec, READING_COLUMNS } from './lake-schema';
import type { LakeRow } from './rows';

/**
 * Rows of the `realtime` dataset held as typed column buffers (one per {@link READING_COLUMNS}
 * entry, schema order): no object per row. Built by the columnar realtime parser
 * (core/ekm/realtime-columns.ts), merged and de-duplicated on columns ({@link mergeOrder}), written
 * by core/parquet/encode-columns.ts. The row path (core/parquet/rows.ts, encode.ts) is the reference.
 */

/** A DOUBLE column, or TIMESTAMP as epoch ms; `validity` is a bit per row (LSB first, Arrow's layout), set when not null. */
export interface FloatColumn {
  readonly type: 'double' | 'timestamp';
  readonly values: Float64Array;
  readonly validity: Uint8Array;
}
export interface IntColumn {
  readonly type: 'int';
  readonly values: Int32Array;
  readonly validity: Uint8Array;
}
/** `values` is a bitmap like `validity`. */
export interface BoolColumn {
  readonly type: 'bool';
  readonly values: Uint8Array;
  readonly validity: Uint8Array;
}
/** UTF-8 bytes of row i are `bytes[offsets[i]..offsets[i + 1]]` (empty for null). */
export interface TextColumn {
  readonly type: 'string' | 'json';
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
  readonly validity: Uint8Array;
}
/** One finished column. */
export type ColumnData = FloatColumn | IntColumn | BoolColumn | TextColumn;

/** True for a text column (the discriminant alone does not narrow a union of two literals). */
export function isText(col: ColumnData): col is TextColumn {
  return col.type === 'string' || col.type === 'json';
}

/** A finished batch: `columns[c]` holds `READING_COLUMNS[c]`, each `length` rows long. */
export interface ColumnBatch {
  readonly length: number;
  readonly columns: readonly ColumnData[];
}

/** Column positions in {@link READING_COLUMNS}, by name. */
export const READING_COLUMN_INDEX: ReadonlyMap<string, number> = new Map(READING_COLUMNS.map((c, i) => [c.name, i]));

function indexOf(name: string): number {
  const i = READING_COLUMN_INDEX.get(name);
  if (i === undefined) throw new Error(`no realtime column ${name}`);
  return i;
}

/** Positions of the metadata columns (lake-schema.ts READING_META_COLUMNS). */
export const COL = {
  meter: indexOf('meter'),
  time: indexOf('time'),
  good: indexOf('good'),
  protocol: indexOf('protocol'),
  source: indexOf('source'),
  via: indexOf('via'),
  schemaVersion: indexOf('schema_version'),
  extra: indexOf('extra'),
} as const;

/** A column being filled (mutable, over-allocated; `length` lives on the builder). */
export class BuilderColumn {
  values: Float64Array | Int32Array | Uint8Array | null;
  validity: Uint8Array;
  offsets: Int32Array | null;
  bytes: Uint8Array | null;
  byteLength = 0;
  readonly text: boolean;

  constructor(
    readonly spec: ColumnSpec,
    capacity: number,
  ) {
    this.text = spec.type === 'string' || spec.type === 'json';
    this.validity = new Uint8Array((capacity + 7) >> 3);
    this.values = null;
    this.offsets = null;
    this.bytes = null;
    if (spec.type === 'double' || spec.type === 'timestamp') this.values = new Float64Array(capacity);
    else if (spec.type === 'int') this.values = new Int32Array(capacity);
    else if (spec.type === 'bool') this.values = new Uint8Array((capacity + 7) >> 3);
    else {
      this.offsets = new Int32Array(capacity + 1);
      this.bytes = new Uint8Array(Math.max(64, capacity * 4));
    }
  }

  grow(capacity: number): void {
    const validity = new Uint8Array((capacity + 7) >> 3);
    validity.set(this.validity);
    this.validity = validity;
    if (this.values instanceof Float64Array) {
      const v = new Float64Array(capacity);
      v.set(this.values);
      this.values = v;
    } else if (this.values instanceof Int32Array) {
      const v = new Int32Array(capacity);
      v.set(this.values);
      this.values = v;
    } else if (this.values instanceof Uint8Array) {
      const v = new Uint8Array((capacity + 7) >> 3);
      v.set(this.values);
      this.values = v;
    }
    if (this.offsets) {
      const o = new Int32Array(capacity + 1);
      o.set(this.offsets);
      this.offsets = o;
    }
  }

  /** Room for `more` bytes after `byteLength`. */
  reserveBytes(more: number): Uint8Array {
    const bytes = this.bytes as Uint8Array;
    if (this.byteLength + more <= bytes.length) return bytes;
    const next = new Uint8Array(Math.max(bytes.length * 2, this.byteLength + more));
    next.set(bytes.subarray(0, this.byteLength));
    this.bytes = next;
    return next;
  }
}

const enc = new TextEncoder();

/**
 * Appends rows into typed column buffers. A row is open between {@link beginRow} and
 * {@link endRow} (or {@link abortRow}, which forgets it); setters write into the open row.
 * Rows can be marked dropped ({@link drop}): they stay in the buffers but no merge keeps them.
 */
export class ColumnBatchBuilder {
  readonly columns: BuilderColumn[];
  private readonly textColumns: BuilderColumn[];
  private capacity: number;
  /** Rows ended so far (the open row, if any, has index `length`). */
  length = 0;
  private dropped: Uint8Array;

  constructor(capacity = 1024) {
    this.capacity = Math.max(16, capacity);
    this.columns = READING_COLUMNS.map((spec) => new BuilderColumn(spec, this.capacity));
    this.textColumns = this.columns.filter((c) => c.text);
    this.dropped = new Uint8Array(this.capacity);
  }

  /** Make room for `rows` more rows. */
  reserve(rows: number): void {
    if (this.length + rows <= this.capacity) return;
    const capacity = Math.max(this.capacity * 2, this.length + rows);
    for (const c of this.columns) c.grow(capacity);
    const dropped = new Uint8Array(capacity);
    dropped.set(this.dropped);
    this.dropped = dropped;
    this.capacity = capacity;
  }

  /** Open a row (all columns null); returns its index. */
  beginRow(): number {
    if (this.length === this.capacity) this.reserve(1);
    return this.length;
  }

  endRow(): void {
    const next = this.length + 1;
    for (const c of this.textColumns) (c.offsets as Int32Array)[next] = c.byteLength;
    this.length = next;
  }

  /** Forget everything written into the open row. */
  abortRow(): void {
    const i = this.length;
    const k = i >> 3;
    const keep = ~(1 << (i & 7));
    for (const c of this.columns) {
      c.validity[k]! &= keep;
      if (c.text) c.byteLength = (c.offsets as Int32Array)[i]!;
      else if (c.spec.type === 'bool') (c.values as Uint8Array)[k]! &= keep;
      else (c.values as Float64Array | Int32Array)[i] = 0;
    }
  }

  /** Forget every row from `length` on (the caller gives up a partly parsed body). */
  truncate(length: number): void {
    while (this.length > length) {
      this.length--;
      this.abortRow();
      this.dropped[this.length] = 0;
    }
  }

  /** Mark an ended row as not kept (a repeated read the parser drops). */
  drop(row: number): void {
    this.dropped[row] = 1;
  }

  setDouble(c: number, v: number): void {
    const col = this.columns[c] as BuilderColumn;
    const i = this.length;
    (col.values as Float64Array)[i] = v;
    col.validity[i >> 3]! |= 1 << (i & 7);
  }

  setInt(c: number, v: number): void {
    const col = this.columns[c] as BuilderColumn;
    const i = this.length;
    (col.values as Int32Array)[i] = v;
    col.validity[i >> 3]! |= 1 << (i & 7);
  }

  setBool(c: number, v: boolean): void {
    const col = this.columns[c] as BuilderColumn;
    const i = this.length;
    const bit = 1 << (i & 7);
    col.validity[i >> 3]! |= bit;
    if (v) (col.values as Uint8Array)[i >> 3]! |= bit;
  }

  /** Text of `source[from..to)`, every char below U+0080 (the caller checked): copied as bytes. */
  setAscii(col: BuilderColumn, source: string, from: number, to: number): void {
    const bytes = col.reserveBytes(to - from);
    let at = col.byteLength;
    for (let p = from; p < to; p++) bytes[at++] = source.charCodeAt(p);
    col.byteLength = at;
    const i = this.length;
    col.validity[i >> 3]! |= 1 << (i & 7);
  }

  /** Bytes already encoded as UTF-8 (a value shared by many rows: meter, via, source). */
  setBytes(col: BuilderColumn, utf8: Uint8Array): void {
    const n = utf8.length;
    const bytes = col.reserveBytes(n);
    // A byte loop: for values this short it beats the call into TypedArray#set.
    let at = col.byteLength;
    for (let k = 0; k < n; k++) bytes[at++] = utf8[k] as number;
    col.byteLength = at;
    const i = this.length;
    col.validity[i >> 3]! |= 1 << (i & 7);
  }

  /** Any text, as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer writes it in encode.ts). */
  setString(col: BuilderColumn, s: string): void {
    const bytes = col.reserveBytes(s.length * 3);
    col.byteLength += enc.encodeInto(s, bytes.subarray(col.byteLength)).written;
    const i = this.length;
    col.validity[i >> 3]! |= 1 << (i & 7);
  }

  /** Append a row object (rows.ts `readingToRow` output or a decoded row); throws like `encodeRows` on a misfit. */
  appendRow(row: LakeRow): void {
    const i = this.beginRow();
    for (let c = 0; c < this.columns.length; c++) {
      const col = this.columns[c] as BuilderColumn;
      const spec = col.spec;
      const v = row[spec.name];
      if (v === null || v === undefined) {
        if (!spec.nullable) this.misfit(spec, i, v);
        continue;
      }
      switch (spec.type) {
        case 'double':
          if (typeof v !== 'number') this.misfit(spec, i, v);
          this.setDouble(c, v);
          break;
        case 'timestamp':
          if (typeof v !== 'number' || !Number.isInteger(v)) this.misfit(spec, i, v);
          this.setDouble(c, v);
          break;
        case 'int':
          if (typeof v !== 'number' || !Number.isInteger(v)) this.misfit(spec, i, v);
          this.setInt(c, v);
          break;
        case 'bool':
          if (typeof v !== 'boolean') this.misfit(spec, i, v);
          this.setBool(c, v);
          break;
        default:
          if (typeof v !== 'string') this.misfit(spec, i, v);
          this.setString(col, v);
      }
    }
    this.endRow();
  }

  private misfit(spec: ColumnSpec, i: number, v: unknown): never {
    this.abortRow();
    throw new TypeError(`lake encode: row ${i} column ${spec.name} (${spec.type}) got ${JSON.stringify(v)}`);
  }

  /** Append the rows of a finished batch (an object's existing rows, another group). */
  appendBatch(batch: ColumnBatch): void {
    const n = batch.length;
    this.reserve(n);
    const base = this.length;
    this.columns.forEach((col, c) => {
      const src = batch.columns[c] as ColumnData;
      copyBits(src.validity, 0, col.validity, base, n);
      if (isText(src)) {
        const from = src.offsets[0] as number;
        const size = (src.offsets[n] as number) - from;
        const bytes = col.reserveBytes(size);
        bytes.set(src.bytes.subarray(from, from + size), col.byteLength);
        const offsets = col.offsets as Int32Array;
        const shift = col.byteLength - from;
        for (let i = 1; i <= n; i++) offsets[base + i] = (src.offsets[i] as number) + shift;
        col.byteLength += size;
      } else if (src.type === 'bool') copyBits(src.values, 0, col.values as Uint8Array, base, n);
      else if (src.type === 'int') (col.values as Int32Array).set(src.values, base);
      else (col.values as Float64Array).set(src.values, base);
    });
    this.length += n;
  }

  /** Append the rows of an Arrow record batch whose fields are {@link READING_COLUMNS} in order. */
  appendArrow(batch: arrow.RecordBatch): void {
    const n = batch.numRows;
    this.reserve(n);
    const base = this.length;
    this.columns.forEach((col, c) => {
      const data = batch.getChildAt(c)?.data[0];
      if (!data) throw new Error(`lake decode: column ${col.spec.name} missing`);
      const off = data.offset;
      if (data.nullBitmap && data.nullBitmap.length > 0 && data.nullCount !== 0)
        copyBits(data.nullBitmap, off, col.validity, base, n);
      else copyBits(null, 0, col.validity, base, n);
      const values = data.values as unknown;
      if (col.text) {
        const srcOffsets = data.valueOffsets as Int32Array;
        const srcBytes = values as Uint8Array;
        const from = srcOffsets[off] as number;
        const size = (srcOffsets[off + n] as number) - from;
        const bytes = col.reserveBytes(size);
        bytes.set(srcBytes.subarray(from, from + size), col.byteLength);
        const offsets = col.offsets as Int32Array;
        const shift = col.byteLength - from;
        for (let i = 1; i <= n; i++) offsets[base + i] = (srcOffsets[off + i] as number) + shift;
        col.byteLength += size;
      } else if (col.spec.type === 'bool') copyBits(values as Uint8Array, off, col.values as Uint8Array, base, n);
      else if (col.spec.type === 'timestamp') {
        const out = col.values as Float64Array;
        if (values instanceof BigInt64Array) for (let i = 0; i < n; i++) out[base + i] = Number(values[off + i]);
        else {
          const words = values as Int32Array;
          for (let i = 0; i < n; i++)
            out[base + i] = (words[2 * (off + i)]! >>> 0) + (words[2 * (off + i) + 1] as number) * 4294967296;
        }
      } else (col.values as Float64Array | Int32Array).set((values as Float64Array).subarray(off, off + n), base);
    });
    this.length += n;
  }

  /** The rows kept (not dropped) in the order given, or all rows in order: a compact batch. */
  finish(order?: Int32Array): ColumnBatch {
    const rows = order ?? this.liveRows();
    // Every row, in place (the usual case: EKM sends reads in order): no copy.
    let identity = rows.length === this.length;
    for (let i = 0; identity && i < rows.length; i++) identity = rows[i] === i;
    return identity ? this.view() : gather(this, rows);
  }

  /** Indices of the rows not dropped. */
  liveRows(): Int32Array {
    const out = new Int32Array(this.length);
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.dropped[i] === 0) out[n++] = i;
    return out.subarray(0, n);
  }

  /** The rows as a batch without copying (dropped rows included). */
  view(): ColumnBatch {
    const n = this.length;
    return {
      length: n,
      columns: this.columns.map((col): ColumnData => {
        const validity = col.validity.subarray(0, (n + 7) >> 3);
        const t = col.spec.type;
        if (t === 'string' || t === 'json')
          return {
            type: t,
            offsets: (col.offsets as Int32Array).subarray(0, n + 1),
            bytes: (col.bytes as Uint8Array).subarray(0, col.byteLength),
            validity,
          };
        if (t === 'bool') return { type: t, values: (col.values as Uint8Array).subarray(0, (n + 7) >> 3), validity };
        if (t === 'int') return { type: t, values: (col.values as Int32Array).subarray(0, n), validity };
        return { type: t, values: (col.values as Float64Array).subarray(0, n), validity };
      }),
    };
  }
}

function copyBits(src: Uint8Array | null, srcAt: number, dst: Uint8Array, dstAt: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = srcAt + i;
    const d = dstAt + i;
    if (src === null || (src[s >> 3]! >> (s & 7)) & 1) dst[d >> 3]! |= 1 << (d & 7);
    else dst[d >> 3]! &= ~(1 << (d & 7));
  }
}

const bit = (bits: Uint8Array, i: number): boolean => ((bits[i >> 3]! >> (i & 7)) & 1) === 1;

function gather(builder: ColumnBatchBuilder, order: Int32Array): ColumnBatch {
  const src = builder.view();
  const n = order.length;
  const columns = src.columns.map((col): ColumnData => {
    const validity = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (bit(col.validity, order[i]!)) validity[i >> 3]! |= 1 << (i & 7);
    if (isText(col)) {
      const offsets = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const r = order[i]!;
        total += col.offsets[r + 1]! - col.offsets[r]!;
        offsets[i + 1] = total;
      }
      const bytes = new Uint8Array(total);
      for (let i = 0; i < n; i++) {
        const r = order[i]!;
        bytes.set(col.bytes.subarray(col.offsets[r]!, col.offsets[r + 1]!), offsets[i]!);
      }
      return { type: col.type, offsets, bytes, validity };
    }
    if (col.type === 'bool') {
      const values = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (bit(col.values, order[i]!)) values[i >> 3]! |= 1 << (i & 7);
      return { type: 'bool', values, validity };
    }
    if (col.type === 'int') {
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[order[i]!]!;
      return { type: 'int', values, validity };
    }
    const values = new Float64Array(n);
    const src = col.values;
    for (let i = 0; i < n; i++) values[i] = src[order[i]!]!;
    return { type: col.type, values, validity };
  });
  return { length: n, columns };
}

/** Text of row i of a text column (JS string); for tests, errors and small lookups. */
export function textAt(col: ColumnData, i: number): string | null {
  if (!isText(col)) throw new TypeError('not a text column');
  if (!bit(col.validity, i)) return null;
  return Buffer.from(
    col.bytes.buffer,
    col.bytes.byteOffset + col.offsets[i]!,
    col.offsets[i + 1]! - col.offsets[i]!,
  ).toString('utf8');
}

/** A 12-digit ASCII meter id as a number (same order as the text), or -1. */
function meterNumber(col: TextColumn, i: number): number {
  const from = col.offsets[i]!;
  if (col.offsets[i + 1]! - from !== 12) return -1;
  let v = 0;
  for (let p = from; p < from + 12; p++) {
    const d = col.bytes[p]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Byte order of the values of rows a and b of a text column (0: same text). */
export function compareRows(col: TextColumn, a: number, b: number): number {
  return compareText(col, a, b);
}

function compareText(col: TextColumn, a: number, b: number): number {
  const fa = col.offsets[a]!;
  const la = col.offsets[a + 1]! - fa;
  const fb = col.offsets[b]!;
  const lb = col.offsets[b + 1]! - fb;
  const n = Math.min(la, lb);
  for (let k = 0; k < n; k++) {
    const d = col.bytes[fa + k]! - col.bytes[fb + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/**
 * The merge of rows.ts `mergeRows('realtime', …)` on columns: indices of the rows to keep, one per
 * meter + time + source (the row added last wins, so append existing rows before incoming ones),
 * sorted by meter, time, then source. Dropped rows take no part.
 */
export function mergeOrder(builder: ColumnBatchBuilder): Int32Array {
  const live = builder.liveRows();
  const batch = builder.view();
  const meterCol = batch.columns[COL.meter] as TextColumn;
  const sourceCol = batch.columns[COL.source] as TextColumn;
  const time = (batch.columns[COL.time] as FloatColumn).values;
  const meters = new Float64Array(batch.length);
  let numeric = true;
  for (const i of live) {
    meters[i] = meterNumber(meterCol, i);
    if (meters[i] === -1) numeric = false;
  }
  const compareMeter = numeric
    ? (a: number, b: number) => meters[a]! - meters[b]!
    : (a: number, b: number) => compareText(meterCol, a, b);
  const compareKey = (a: number, b: number): number =>
    compareMeter(a, b) || time[a]! - time[b]! || compareText(sourceCol, a, b);
  let sorted = true;
  for (let k = 1; k < live.length; k++) {
    if (compareKey(live[k - 1]!, live[k]!) >= 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return live;
  // Stable sort: among equal keys the later row stays later, and the last of each run is kept.
  const order = Array.from(live).sort((a, b) => compareKey(a, b) || a - b);
  const out = new Int32Array(order.length);
  let n = 0;
  for (let k = 0; k < order.length; k++) {
    const next = order[k + 1];
    if (next !== undefined && compareKey(order[k]!, next) === 0) continue;
    out[n++] = order[k]!;
  }
  return out.subarray(0, n);
}
