import { COL, type ColumnBatchBuilder, READING_COLUMN_INDEX } from '../parquet/column-batch';
import { columnNameOf, LAKE_SCHEMA_VERSION, READING_COLUMNS } from '../parquet/lake-schema';
import { type Rejected, readingToRow } from '../parquet/rows';
import { type MeterId, toMeterId } from '../readings/meter-id';
import { isMeterProtocol } from '../readings/reading';
import { POW10, plainDecimalIn } from './decimal';
import { FIELD_CATALOG } from './field-catalog';
import {
  normalizeReadMeterWithRejections,
  type ParseContext,
  parseReadResponseWithRejections,
  type RealtimeRejection,
} from './realtime';

/**
 * The columnar realtime path: EKM's `/readMeter` JSON text goes straight into the typed column
 * buffers of a {@link ColumnBatchBuilder} (one lake `realtime` row per read), without a JS object
 * per read or a string per value. The result is what the row path gives for the same body:
 * `parseReadResponseWithRejections` (realtime.ts) followed by `readingToRow` (parquet/rows.ts) on
 * each reading, with the same rows, the same parser rejections and the same lake rejections.
 *
 * How it stays equal to that reference: the scanner handles only what it can decide exactly (keys of
 * the field catalog that have a lake column, values that are plain decimals, ASCII text, null or
 * ""). A read holding anything else (an unknown field, `"1e3"`, an escape, a value that does not fit
 * its column, a time outside 2000–2100, a repeated key) is cut out of the text and run through the
 * reference code on its own, so it gets the reference's row or rejection. Any problem of the
 * envelope (not JSON, no `readMeter`, a bad `Meter`, keys out of the usual order) hands the whole
 * body to the reference path, which also throws the reference's errors.
 */

/** Reads of one body: parser rejections and lake rejections, as the row path reports them. */
export interface RealtimeColumnsResult {
  /** Rows appended to the builder (dropped repeats included): `[firstRow, endRow)`. */
  readonly firstRow: number;
  readonly endRow: number;
  /** Reads the parser refused, as `parseReadResponseWithRejections` returns them. */
  readonly rejected: RealtimeRejection[];
  /** Reads the lake refused (`readingToRow`), in the order the row path meets them. */
  readonly lakeRejected: Rejected[];
  /** True when the body went through the reference path as a whole (rare: odd envelopes). */
  readonly referencePath: boolean;
  /** Reads that went through the reference code one by one (unknown fields, odd values, refusals). */
  readonly referenceReads: number;
}

// What the scanner does with a key of a read.
const SKIP = 0; // read metadata that is not stored (Date, Time)
const GOOD = 1;
const TIME = 2;
const DOUBLE = 3; // catalog number → DOUBLE column
const INT = 4; // catalog number → INT32 column
const NUMBER_TEXT = 5; // catalog number → text column (String(n)), e.g. Meter_Status_Code, PERR.NR
const TEXT = 6; // catalog text → text column
const SLOW = 7; // anything else: the read takes the reference path

interface FieldAction {
  readonly id: number;
  /** The key as it appears in JSON, quotes included. */
  readonly quoted: string;
  readonly action: number;
  readonly column: number;
}

const META_COLUMNS = new Set(['meter', 'time', 'good', 'protocol', 'source', 'via', 'schema_version', 'extra']);

/** What realtime.ts `fillFields` + rows.ts `readingToRow` do with a catalog field, as one action. */
function actionOf(name: string, id: number): FieldAction {
  const quoted = JSON.stringify(name);
  if (name === 'Good') return { id, quoted, action: GOOD, column: -1 };
  if (name === 'Time_Stamp_UTC_ms') return { id, quoted, action: TIME, column: -1 };
  if (name === 'Date' || name === 'Time') return { id, quoted, action: SKIP, column: -1 };
  const spec = FIELD_CATALOG.find((f) => f.name === name);
  const columnName = columnNameOf(name);
  const column = META_COLUMNS.has(columnName) ? undefined : READING_COLUMN_INDEX.get(columnName);
  if (!spec || column === undefined) return { id, quoted, action: SLOW, column: -1 };
  const type = READING_COLUMNS[column]!.type;
  if (spec.kind === 'text') return { id, quoted, action: type === 'string' ? TEXT : SLOW, column };
  const action = type === 'double' ? DOUBLE : type === 'int' ? INT : type === 'string' ? NUMBER_TEXT : SLOW;
  return { id, quoted, action, column };
}

const ACTIONS = new Map<string, FieldAction>(FIELD_CATALOG.map((f, i) => [f.name, actionOf(f.name, i)]));
/** Keys outside the catalog (bounded: they come from outside). */
const UNKNOWN_KEYS = new Map<string, FieldAction>();
const MAX_UNKNOWN_KEYS = 1024;
const UNKNOWN_ID = FIELD_CATALOG.length;

function actionFor(name: string): FieldAction {
  const known = ACTIONS.get(name) ?? UNKNOWN_KEYS.get(name);
  if (known) return known;
  const a: FieldAction = { id: UNKNOWN_ID, quoted: JSON.stringify(name), action: SLOW, column: -1 };
  if (UNKNOWN_KEYS.size < MAX_UNKNOWN_KEYS) UNKNOWN_KEYS.set(name, a);
  return a;
}

/** rows.ts: reads outside 2000-01-01..2100-01-01 UTC are refused by the lake. */
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 4_102_444_800_000;
const INT32_MAX = 2_147_483_647;

/** `plainDecimal(s, from, to)` is decimal.ts `plainDecimalIn`: the one EKM decimal grammar's exact fast path. */
const plainDecimal = plainDecimalIn;

/** Thrown inside the scanner: hand the whole body to the reference path. */
class Envelope extends Error {}

// Most checks meet a non-blank character (compact JSON): one comparison rules those out.
const isWs = (c: number) => c <= 32 && (c === 32 || c === 10 || c === 13 || c === 9);

/** Outcome of one read in the scanner. */
const ROW = 0;
const OUTSIDE = 1;
const REFERENCE = 2;

const utf8 = new TextEncoder();
const REALTIME_BYTES = utf8.encode('realtime');

/** One pass over one body. */
class Scanner {
  p = 0;
  private serial = 0;
  private readonly seen = new Int32Array(UNKNOWN_ID + 1);
  /** The keys of the previous read, in order: the next read usually has the same. */
  private shape: FieldAction[] = [];
  private readonly viaBytes: Uint8Array;
  readonly rejected: RealtimeRejection[] = [];
  readonly lakeRejected: Rejected[] = [];
  referenceReads = 0;
  // Per ReadSet: the reads kept so far (time, builder row or -(pending lake rejection + 1)).
  private times = new Float64Array(1024);
  private refs = new Int32Array(1024);
  private count = 0;
  private pending: Rejected[] = [];
  private bad: RealtimeRejection[] = [];

  constructor(
    private readonly s: string,
    private readonly ctx: ParseContext,
    private readonly b: ColumnBatchBuilder,
  ) {
    this.viaBytes = utf8.encode(ctx.via);
  }

  private ws(): void {
    const s = this.s;
    let p = this.p;
    while (p < s.length && isWs(s.charCodeAt(p))) p++;
    this.p = p;
  }

  private expect(code: number): void {
    this.ws();
    if (this.s.charCodeAt(this.p) !== code) throw new Envelope();
    this.p++;
    this.ws();
  }

  /** Position after the JSON string at p (validated), or -1. */
  private skipString(p: number): number {
    const s = this.s;
    p++;
    for (;;) {
      if (p >= s.length) return -1;
      const c = s.charCodeAt(p);
      if (c === 34) return p + 1;
      if (c < 0x20) return -1;
      if (c === 92) {
        const e = s.charCodeAt(p + 1);
        if (e === 117) {
          for (let k = 2; k < 6; k++) {
            const h = s.charCodeAt(p + k);
            if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
          }
          p += 6;
          continue;
        }
        if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          p += 2;
          continue;
        }
        return -1;
      }
      p++;
    }
  }

  /** Position after the JSON number at p (grammar of RFC 8259 §6), or -1. */
  private skipNumber(p: number): number {
    const s = this.s;
    if (s.charCodeAt(p) === 45) p++;
    let c = s.charCodeAt(p);
    if (c === 48) c = s.charCodeAt(++p);
    else if (c >= 49 && c <= 57) while (c >= 48 && c <= 57) c = s.charCodeAt(++p);
    else return -1;
    if (c === 46) {
      c = s.charCodeAt(++p);
      if (!(c >= 48 && c <= 57)) return -1;
      while (c >= 48 && c <= 57) c = s.charCodeAt(++p);
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++p);
      if (c === 43 || c === 45) c = s.charCodeAt(++p);
      if (!(c >= 48 && c <= 57)) return -1;
      while (c >= 48 && c <= 57) c = s.charCodeAt(++p);
    }
    return p;
  }

  /** Position after the JSON value at p (validated), or -1. */
  private skipValue(p: number, depth = 0): number {
    const s = this.s;
    if (depth > 512) throw new Envelope();
    const c = s.charCodeAt(p);
    if (c === 34) return this.skipString(p);
    if (c === 45 || (c >= 48 && c <= 57)) return this.skipNumber(p);
    if (c === 116) return s.startsWith('true', p) ? p + 4 : -1;
    if (c === 102) return s.startsWith('false', p) ? p + 5 : -1;
    if (c === 110) return s.startsWith('null', p) ? p + 4 : -1;
    if (c !== 123 && c !== 91) return -1;
    const close = c === 123 ? 125 : 93;
    this.p = p + 1;
    this.ws();
    if (s.charCodeAt(this.p) === close) return this.p + 1;
    for (;;) {
      if (c === 123) {
        if (s.charCodeAt(this.p) !== 34) return -1;
        const end = this.skipString(this.p);
        if (end < 0) return -1;
        this.p = end;
        this.ws();
        if (s.charCodeAt(this.p) !== 58) return -1;
        this.p++;
        this.ws();
      }
      const end = this.skipValue(this.p, depth + 1);
      if (end < 0) return -1;
      this.p = end;
      this.ws();
      const d = s.charCodeAt(this.p);
      if (d === close) return this.p + 1;
      if (d !== 44) return -1;
      this.p++;
      this.ws();
    }
  }

  /** Skip the value at this.p, or give up on the body. */
  private skip(): void {
    const end = this.skipValue(this.p);
    if (end < 0) throw new Envelope();
    this.p = end;
  }

  /** An object key at this.p without escapes (envelope keys), then the colon. */
  private key(): string {
    if (this.s.charCodeAt(this.p) !== 34) throw new Envelope();
    const end = this.skipString(this.p);
    if (end < 0) throw new Envelope();
    const name = this.s.slice(this.p + 1, end - 1);
    if (name.includes('\\')) throw new Envelope();
    this.p = end;
    this.expect(58);
    return name;
  }

  /** Walk an object's members; `member(name)` consumes the value at this.p. */
  private object(member: (name: string) => void): void {
    this.ws();
    if (this.s.charCodeAt(this.p) !== 123) throw new Envelope();
    this.p++;
    this.ws();
    if (this.s.charCodeAt(this.p) === 125) {
      this.p++;
      return;
    }
    const names = new Set<string>();
    for (;;) {
      const name = this.key();
      // JSON.parse keeps the last of a repeated key: leave such bodies to it.
      if (names.has(name)) throw new Envelope();
      names.add(name);
      member(name);
      this.ws();
      const c = this.s.charCodeAt(this.p++);
      if (c === 125) return;
      if (c !== 44) throw new Envelope();
      this.ws();
    }
  }

  body(): void {
    let sawReadMeter = false;
    this.object((name) => {
      if (name !== 'readMeter') return this.skip();
      sawReadMeter = true;
      let sawReadSet = false;
      this.object((inner) => {
        if (inner !== 'ReadSet') return this.skip();
        sawReadSet = true;
        this.array(() => this.readSet());
      });
      if (!sawReadSet) throw new Envelope();
    });
    this.ws();
    if (!sawReadMeter || this.p !== this.s.length) throw new Envelope();
  }

  private array(item: () => void): void {
    this.ws();
    if (this.s.charCodeAt(this.p) !== 91) throw new Envelope();
    this.p++;
    this.ws();
    if (this.s.charCodeAt(this.p) === 93) {
      this.p++;
      return;
    }
    for (;;) {
      item();
      this.ws();
      const c = this.s.charCodeAt(this.p++);
      if (c === 93) return;
      if (c !== 44) throw new Envelope();
      this.ws();
    }
  }

  private readSet(): void {
    let meterRaw: string | number | undefined;
    let meter: MeterId | undefined;
    let protocol: string | undefined;
    let sawData = false;
    const s = this.s;
    const toMeter = (): MeterId => {
      if (meterRaw === undefined) throw new Envelope();
      try {
        return toMeterId(meterRaw, 'Meter');
      } catch {
        throw new Envelope();
      }
    };
    this.object((name) => {
      const c = s.charCodeAt(this.p);
      if (name === 'Meter') {
        const start = this.p;
        this.skip();
        if (c === 34) {
          meterRaw = s.slice(start + 1, this.p - 1);
          if (meterRaw.includes('\\')) throw new Envelope();
        } else if (c === 45 || (c >= 48 && c <= 57)) meterRaw = Number(s.slice(start, this.p));
        else throw new Envelope();
      } else if (name === 'Protocol') {
        if (sawData) throw new Envelope();
        const start = this.p;
        this.skip();
        if (c === 34) {
          protocol = s.slice(start + 1, this.p - 1);
          if (protocol.includes('\\')) throw new Envelope();
        }
      } else if (name === 'ReadData') {
        sawData = true;
        meter = toMeter();
        this.readData(meterRaw as string | number, meter, protocol);
      } else this.skip();
    });
    if (!sawData) toMeter();
  }

  private readData(meterRaw: string | number, meter: MeterId, protocolRaw: string | undefined): void {
    const protocol = isMeterProtocol(protocolRaw) ? protocolRaw : undefined;
    const meterBytes = utf8.encode(meter);
    const protocolBytes = protocol === undefined ? undefined : utf8.encode(protocol);
    this.count = 0;
    this.pending = [];
    this.bad = [];
    this.array(() => {
      const start = this.p;
      const isObject = this.s.charCodeAt(start) === 123;
      if (!isObject || this.read(meterBytes, protocolBytes) === REFERENCE) {
        if (isObject) this.b.abortRow();
        const end = this.skipValue(start);
        if (end < 0) throw new Envelope();
        this.p = end;
        this.referenceRead(start, end, meterRaw, protocolRaw);
      }
    });
    this.closeReadSet();
  }

  /** Note a read kept by the parser (a builder row, or a lake rejection when `ref < 0`). */
  private keep(timeMs: number, ref: number): void {
    if (this.count === this.times.length) {
      const times = new Float64Array(this.count * 2);
      times.set(this.times);
      this.times = times;
      const refs = new Int32Array(this.count * 2);
      refs.set(this.refs);
      this.refs = refs;
    }
    this.times[this.count] = timeMs;
    this.refs[this.count++] = ref;
  }

  /** One read by the reference code: realtime.ts on a one-read body, then rows.ts `readingToRow`. */
  private referenceRead(start: number, end: number, meterRaw: string | number, protocol: string | undefined): void {
    this.referenceReads++;
    const item: unknown = JSON.parse(this.s.slice(start, end));
    const one = { readMeter: { ReadSet: [{ Meter: meterRaw, Protocol: protocol, ReadData: [item] }] } };
    const parsed = normalizeReadMeterWithRejections(one, this.ctx);
    for (const r of parsed.rejected) this.bad.push(r);
    for (const reading of parsed.readings) {
      const mapped = readingToRow(reading);
      if ('row' in mapped) {
        this.keep(reading.timeMs, this.b.length);
        this.b.appendRow(mapped.row);
      } else {
        this.pending.push(mapped.rejected);
        this.keep(reading.timeMs, -this.pending.length);
      }
    }
  }

  /** realtime.ts: reads in time order, the first of each time kept; one rejection per (meter, time). */
  private closeReadSet(): void {
    const n = this.count;
    const times = this.times;
    let ordered = true;
    for (let k = 1; k < n; k++) {
      if (times[k]! <= times[k - 1]!) {
        ordered = false;
        break;
      }
    }
    let order: number[] | undefined;
    if (!ordered) {
      order = Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a]! - times[b]! || a - b);
      let last = Number.NaN;
      const kept: number[] = [];
      for (const k of order) {
        if (times[k] === last) {
          const ref = this.refs[k]!;
          if (ref >= 0) this.b.drop(ref);
          continue;
        }
        last = times[k]!;
        kept.push(k);
      }
      order = kept;
    }
    if (this.pending.length > 0) {
      for (let j = 0; j < (order ? order.length : n); j++) {
        const ref = this.refs[order ? order[j]! : j]!;
        if (ref < 0) this.lakeRejected.push(this.pending[-ref - 1]!);
      }
    }
    const seen = new Set<number>();
    for (const r of this.bad) {
      if (r.timeMs !== undefined) {
        if (seen.has(r.timeMs)) continue;
        seen.add(r.timeMs);
      }
      this.rejected.push(r);
    }
  }

  /**
   * One read at this.p (`{`) into a new builder row. ROW: kept; OUTSIDE: before `since` or after
   * `until` (nothing kept); REFERENCE: the read needs the reference code (the caller abandons the
   * row and re-reads the read's text from its start). One pass: keys are matched against the
   * previous read's keys, decimal text is turned into a number while it is scanned.
   */
  private read(meterBytes: Uint8Array, protocolBytes: Uint8Array | undefined): number {
    const s = this.s;
    const b = this.b;
    const cols = b.columns;
    const seen = this.seen;
    const shape = this.shape;
    const serial = ++this.serial;
    const row = b.beginRow();
    const at = row >> 3;
    const bit = 1 << (row & 7);
    let good = false;
    let timeMs = Number.NaN;
    let k = 0;
    let p = this.p + 1;
    while (isWs(s.charCodeAt(p))) p++;
    if (s.charCodeAt(p) === 125) return REFERENCE;
    for (;;) {
      // The key: usually the one the previous read had at this position.
      let f = shape[k];
      let matched = false;
      if (f !== undefined) {
        // A slice compared with === is checked natively in one go, far cheaper than startsWith or a
        // char loop over the key (every key of every read passes here).
        const n = f.quoted.length;
        if (s.slice(p, p + n) === f.quoted) {
          matched = true;
          p += n;
        }
      }
      if (!matched) {
        if (s.charCodeAt(p) !== 34) throw new Envelope();
        const end = this.skipString(p);
        if (end < 0) throw new Envelope();
        const name = s.slice(p + 1, end - 1);
        if (name.includes('\\')) return REFERENCE;
        f = actionFor(name);
        shape.length = k;
        shape.push(f);
        p = end;
      }
      k++;
      let c = s.charCodeAt(p);
      while (isWs(c)) c = s.charCodeAt(++p);
      if (c !== 58) throw new Envelope();
      c = s.charCodeAt(++p);
      while (isWs(c)) c = s.charCodeAt(++p);
      const action = (f as FieldAction).action;
      const id = (f as FieldAction).id;
      if (action === SLOW || seen[id] === serial) return REFERENCE;
      seen[id] = serial;
      if (action === SKIP) {
        p = this.skipValue(p);
        if (p < 0) throw new Envelope();
      } else if (c === 110) {
        // null: an absent value (Good then reads as false; a read without time is refused).
        if (!s.startsWith('null', p)) throw new Envelope();
        if (action === TIME) return REFERENCE;
        p += 4;
      } else if (action === TEXT) {
        const col = cols[(f as FieldAction).column] as (typeof cols)[number];
        if (c === 34) {
          const from = p + 1;
          let q = from;
          let ascii = true;
          for (;;) {
            const d = s.charCodeAt(q);
            if (d === 34) break;
            if (d === 92 || d < 0x20 || Number.isNaN(d)) return REFERENCE;
            if (d > 0x7f) ascii = false;
            q++;
          }
          if (q > from) {
            if (ascii) b.setAscii(col, s, from, q);
            else b.setString(col, s.slice(from, q));
          }
          p = q + 1;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const end = this.skipNumber(p);
          if (end < 0) throw new Envelope();
          const v = plainDecimal(s, p, end);
          if (Number.isNaN(v)) return REFERENCE;
          b.setString(col, String(v));
          p = end;
        } else return REFERENCE;
      } else {
        let v: number;
        // Set when the value is quoted integer text that String(v) spells the same way (no leading
        // zero, not -0): a text column then copies the bytes instead of making a string.
        let sameText = false;
        const from = p + 1;
        if (c === 34) {
          // Decimal text, scanned once: decimal.ts `plainDecimalIn` inlined (at most 15 digits, exact).
          let q = p + 1;
          let d = s.charCodeAt(q);
          if (d === 34) {
            // "": absent.
            if (action === TIME) return REFERENCE;
            p = q + 1;
            c = s.charCodeAt(p);
            while (isWs(c)) c = s.charCodeAt(++p);
            if (c === 44) {
              c = s.charCodeAt(++p);
              while (isWs(c)) c = s.charCodeAt(++p);
              continue;
            }
            if (c === 125) {
              p++;
              break;
            }
            throw new Envelope();
          }
          const neg = d === 45;
          if (neg) d = s.charCodeAt(++q);
          let int = 0;
          let digits = 0;
          let frac = -1;
          for (;;) {
            if (d >= 48 && d <= 57) {
              int = int * 10 + (d - 48);
              digits++;
              if (frac >= 0) frac++;
            } else if (d === 46 && frac < 0) frac = 0;
            else break;
            d = s.charCodeAt(++q);
          }
          if (d !== 34 || digits === 0 || digits > 15) return REFERENCE;
          v = frac > 0 ? int / (POW10[frac] as number) : int;
          if (neg) v = -v;
          sameText = frac < 0 && (digits === 1 ? !(neg && int === 0) : s.charCodeAt(neg ? from + 1 : from) !== 48);
          p = q + 1;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const end = this.skipNumber(p);
          if (end < 0) throw new Envelope();
          v = plainDecimal(s, p, end);
          if (Number.isNaN(v)) return REFERENCE;
          p = end;
        } else return REFERENCE;
        if (action === DOUBLE) {
          const col = cols[(f as FieldAction).column] as (typeof cols)[number];
          (col.values as Float64Array)[row] = v;
          (col.validity[at] as number) |= bit;
        } else if (action === INT) {
          if (!Number.isInteger(v) || Math.abs(v) > INT32_MAX) return REFERENCE;
          const col = cols[(f as FieldAction).column] as (typeof cols)[number];
          (col.values as Int32Array)[row] = v;
          (col.validity[at] as number) |= bit;
        } else if (action === GOOD) good = v === 1;
        else if (action === TIME) {
          if (!Number.isInteger(v)) return REFERENCE;
          timeMs = v;
        } else {
          const col = cols[(f as FieldAction).column] as (typeof cols)[number];
          if (sameText) b.setAscii(col, s, from, p - 1);
          else b.setString(col, String(v));
        }
      }
      // After the value: a comma and the next key, or the end of the read.
      c = s.charCodeAt(p);
      while (isWs(c)) c = s.charCodeAt(++p);
      if (c === 44) {
        c = s.charCodeAt(++p);
        while (isWs(c)) c = s.charCodeAt(++p);
        continue;
      }
      if (c !== 125) throw new Envelope();
      p++;
      break;
    }
    this.p = p;
    if (Number.isNaN(timeMs)) return REFERENCE;
    const { sinceMs, untilMs } = this.ctx;
    if ((sinceMs !== undefined && timeMs <= sinceMs) || (untilMs !== undefined && timeMs > untilMs)) {
      b.abortRow();
      return OUTSIDE;
    }
    if (timeMs < MIN_TIME_MS || timeMs >= MAX_TIME_MS) return REFERENCE;
    b.setBytes(cols[COL.meter] as (typeof cols)[number], meterBytes);
    b.setDouble(COL.time, timeMs);
    b.setBool(COL.good, good);
    if (protocolBytes) b.setBytes(cols[COL.protocol] as (typeof cols)[number], protocolBytes);
    b.setBytes(cols[COL.source] as (typeof cols)[number], REALTIME_BYTES);
    b.setBytes(cols[COL.via] as (typeof cols)[number], this.viaBytes);
    b.setInt(COL.schemaVersion, LAKE_SCHEMA_VERSION);
    this.keep(timeMs, row);
    b.endRow();
    return ROW;
  }
}

/**
 * Parse a `/readMeter` body into `builder` (see the module comment). Throws what
 * `parseReadResponseWithRejections` throws for a body it refuses (EkmResponseError, EkmApiError).
 */
export function parseRealtimeInto(body: string, ctx: ParseContext, builder: ColumnBatchBuilder): RealtimeColumnsResult {
  const firstRow = builder.length;
  if (typeof ctx.via === 'string' && ctx.via !== '') {
    const scanner = new Scanner(body, ctx, builder);
    try {
      scanner.body();
      return {
        firstRow,
        endRow: builder.length,
        rejected: scanner.rejected,
        lakeRejected: scanner.lakeRejected,
        referencePath: false,
        referenceReads: scanner.referenceReads,
      };
    } catch (error) {
      if (!(error instanceof Envelope) && !(error instanceof RangeError)) throw error;
      builder.truncate(firstRow);
    }
  }
  // The reference path for the whole body: realtime.ts, then rows.ts per reading.
  const parsed = parseReadResponseWithRejections(body, ctx);
  const lakeRejected: Rejected[] = [];
  for (const reading of parsed.readings) {
    const mapped = readingToRow(reading);
    if ('row' in mapped) builder.appendRow(mapped.row);
    else lakeRejected.push(mapped.rejected);
  }
  return {
    firstRow,
    endRow: builder.length,
    rejected: parsed.rejected,
    lakeRejected,
    referencePath: true,
    referenceReads: parsed.readings.length + parsed.rejected.length,
  };
}

/**
 * About how many reads a body holds (each read has one `Time_Stamp_UTC_ms` key): for
 * {@link ColumnBatchBuilder.reserve} before parsing, so the buffers grow once, not on the way.
 */
export function estimateReads(body: string): number {
  // Searched by its tail `UTC_ms"`: the string search skips ahead on the first character, and `U`
  // is rare in EKM JSON while `"` is everywhere (several times faster on large bodies). Counts the
  // same non-overlapping occurrences of the whole key as searching for it directly.
  let n = 0;
  let end = 0;
  for (let at = body.indexOf('UTC_ms"', 12); at >= 0; at = body.indexOf('UTC_ms"', at + 7)) {
    const start = at - 12;
    if (start >= end && body.startsWith('"Time_Stamp_', start)) {
      n++;
      end = start + 19;
    }
  }
  return n;
}
