/**
 * Reads of one UTC day → rows of the lake's `intervals` dataset (pure).
 *
 * Energy per 15-minute interval comes from the billing engine's one implementation of the register
 * rules (functions/core/billing/usage.ts `meterUsage`, docs/billing.md "Usage from register reads"):
 * boundaries interpolated between reads, backwards steps cleaned, gaps over an hour spread and
 * marked estimated. This module only decides which reads to use per interval:
 *
 * - Every source of a meter (`realtime`, `edge`, `summary`) is turned into intervals on its own.
 * - Per interval the first source in {@link SOURCE_PRIORITY} that measures it wins (realtime first,
 *   then edge, then summary); if none measures it, the first whose reads at least span it across a
 *   gap (then `estimated` is true).
 * - Intervals no source brackets (before a meter's first read of the day or after its last) are
 *   not written: the billing engine sees the neighbouring days' registers and interpolates or
 *   estimates across them with its documented rules.
 *
 * Realtime-dataset rows give register reads from `kWh_Tot`/`Rev_kWh_Tot` (good reads only; their
 * `source` column says realtime, edge or summary for gap fills); summary-dataset rows give a read
 * at the bucket start (`_First`), with source `summary`.
 */

import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { buildPeriodGrid } from '../billing/calendar';
import { INTERVAL_MS, type ReadSeries, type RegisterRead } from '../billing/model';
import { meterUsage, SOURCE_GAP, SOURCE_MEASURED } from '../billing/usage';
import type { MeterId } from '../readings/meter-id';
import { INTERVALS_SCHEMA_VERSION } from './lake-schema';
import { emptyRow, type LakeRow } from './rows';

/** Which reads win an interval, most trusted first. */
export const SOURCE_PRIORITY = ['realtime', 'edge', 'summary'] as const;
export type IntervalSource = (typeof SOURCE_PRIORITY)[number];

interface SourceReads {
  reads: RegisterRead[];
  /** Demand samples: [timeMs, kW] pairs. */
  demand: number[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads of one meter per source, collected from lake rows. */
export class DayReads {
  private readonly meters = new Map<string, Map<IntervalSource, SourceReads>>();

  private slot(meter: string, source: IntervalSource): SourceReads {
    let bySource = this.meters.get(meter);
    if (!bySource) {
      bySource = new Map();
      this.meters.set(meter, bySource);
    }
    let s = bySource.get(source);
    if (!s) {
      s = { reads: [], demand: [] };
      bySource.set(source, s);
    }
    return s;
  }

  /** Rows of the `realtime` dataset (bad reads and reads without `kWh_Tot` are ignored). */
  addReadingRows(rows: readonly LakeRow[]): void {
    for (const row of rows) {
      if (row.good === false || typeof row.meter !== 'string') continue;
      const source = row.source as IntervalSource;
      if (!SOURCE_PRIORITY.includes(source)) continue;
      const timeMs = num(row.time);
      const kWhTot = num(row.kWh_Tot);
      if (timeMs === undefined || kWhTot === undefined) continue;
      const rev = num(row.Rev_kWh_Tot);
      const s = this.slot(row.meter, source);
      s.reads.push(rev === undefined ? { timeMs, kWhTot } : { timeMs, kWhTot, revKWhTot: rev });
      const w = num(row.RMS_Watts_Tot);
      if (w !== undefined) s.demand.push(timeMs, w / 1000);
    }
  }

  /**
   * Rows of the `summary` dataset: the register at the bucket start (`_First`, as the realtime
   * ingest's gap fills take it, functions/core/parquet/rows.ts `bucketToGapReading`); demand from
   * the bucket's `RMS_Watts_Tot_Max`.
   */
  addSummaryRows(rows: readonly LakeRow[]): void {
    for (const row of rows) {
      if (typeof row.meter !== 'string') continue;
      const start = num(row.time);
      const first = num(row.kWh_Tot_First);
      if (start === undefined || first === undefined) continue;
      const s = this.slot(row.meter, 'summary');
      const revFirst = num(row.Rev_kWh_Tot_First);
      s.reads.push(
        revFirst === undefined
          ? { timeMs: start, kWhTot: first }
          : { timeMs: start, kWhTot: first, revKWhTot: revFirst },
      );
      const w = num(row.RMS_Watts_Tot_Max);
      if (w !== undefined) s.demand.push(start, w / 1000);
    }
  }

  /** The meters seen, sorted. */
  meterIds(): string[] {
    return [...this.meters.keys()].sort();
  }

  sources(meter: string): Map<IntervalSource, SourceReads> {
    return this.meters.get(meter) ?? new Map();
  }
}

/**
 * The `intervals` rows of one UTC day (`YYYY-MM-DD`), sorted by meter then time. Deterministic:
 * the same reads give the same rows whatever order they were added in.
 */
export function dayIntervalRows(date: string, reads: DayReads): LakeRow[] {
  const grid = buildPeriodGrid('UTC', date, date);
  const out: LakeRow[] = [];
  for (const meter of reads.meterIds()) {
    const bySource = reads.sources(meter);
    const usages = SOURCE_PRIORITY.filter((s) => bySource.has(s)).map((source) => {
      const sr = bySource.get(source)!;
      const usage = meterUsage(grid, { meter: meter as MeterId, reads: sr.reads }, { boundaries: true });
      // Highest demand sample per interval (NaN = none).
      const maxKW = new Float64Array(grid.count).fill(Number.NaN);
      for (let k = 0; k < sr.demand.length; k += 2) {
        const i = Math.floor((sr.demand[k]! - grid.startMs) / INTERVAL_MS);
        if (i < 0 || i >= grid.count) continue;
        const kW = sr.demand[k + 1]!;
        if (Number.isNaN(maxKW[i]!) || kW > maxKW[i]!) maxKW[i] = kW;
      }
      return { source, usage, maxKW };
    });
    for (let i = 0; i < grid.count; i++) {
      const pick =
        usages.find((u) => u.usage.source[i] === SOURCE_MEASURED) ??
        usages.find((u) => u.usage.source[i] === SOURCE_GAP);
      if (!pick) continue;
      const { usage, maxKW, source } = pick;
      const start = usage.forwardAt![i]!;
      const end = usage.forwardAt![i + 1]!;
      if (Number.isNaN(start) || Number.isNaN(end)) continue;
      const row = emptyRow('intervals');
      row.meter = meter;
      row.time = grid.startMs + i * INTERVAL_MS;
      row.kWh = usage.kWh[i]!;
      row.max_kW = Number.isNaN(maxKW[i]!) ? null : maxKW[i]!;
      row.source = source;
      row.estimated = usage.source[i] === SOURCE_GAP;
      row.kWh_start = start;
      row.kWh_end = end;
      if (usage.revKWh && usage.reverseAt) {
        const rs = usage.reverseAt[i]!;
        const re = usage.reverseAt[i + 1]!;
        if (!Number.isNaN(rs) && !Number.isNaN(re)) {
          row.Rev_kWh = usage.revKWh[i]!;
          row.Rev_kWh_start = rs;
          row.Rev_kWh_end = re;
        }
      }
      row.schema_version = INTERVALS_SCHEMA_VERSION;
      out.push(row);
    }
  }
  return out;
}

/**
 * Register reads re-assembled from `intervals` rows of one meter (any order): one read at each
 * interval boundary with the stored register values, so the billing engine's interpolation gives
 * back exactly the stored energies, and bridges days or intervals that are not stored.
 */
export function readsFromIntervalRows(rows: readonly LakeRow[]): RegisterRead[] {
  const byTime = new Map<number, RegisterRead>();
  for (const row of rows) {
    const t = num(row.time);
    const s = num(row.kWh_start);
    const e = num(row.kWh_end);
    if (t === undefined || s === undefined || e === undefined) continue;
    const rs = num(row.Rev_kWh_start);
    const re = num(row.Rev_kWh_end);
    byTime.set(t, rs === undefined ? { timeMs: t, kWhTot: s } : { timeMs: t, kWhTot: s + rs, revKWhTot: rs });
    const te = t + INTERVAL_MS;
    if (!byTime.has(te))
      byTime.set(te, re === undefined ? { timeMs: te, kWhTot: e } : { timeMs: te, kWhTot: e + re, revKWhTot: re });
  }
  return [...byTime.values()].sort((a, b) => a.timeMs - b.timeMs);
}

/** A Float64 column as numbers, NaN for nulls (all record batches). */
function floatColumn(vector: arrow.Vector | null, n: number): Float64Array | undefined {
  if (!vector) return undefined;
  const out = new Float64Array(n);
  let at = 0;
  for (const d of vector.data) {
    const values = d.values as Float64Array;
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    for (let i = 0; i < d.length; i++) {
      const j = d.offset + i;
      out[at++] = bitmap && ((bitmap[j >> 3]! >> (j & 7)) & 1) === 0 ? Number.NaN : values[j]!;
    }
  }
  return out;
}

/** A millisecond timestamp column as numbers, NaN for nulls (64-bit values read as two 32-bit words). */
function timeColumn(vector: arrow.Vector, n: number): Float64Array {
  const out = new Float64Array(n);
  let at = 0;
  for (const d of vector.data) {
    const v = d.values as BigInt64Array;
    const words = new Int32Array(v.buffer, v.byteOffset, v.length * 2);
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    for (let i = 0; i < d.length; i++) {
      const j = d.offset + i;
      out[at++] =
        bitmap && ((bitmap[j >> 3]! >> (j & 7)) & 1) === 0
          ? Number.NaN
          : LITTLE_ENDIAN
            ? words[2 * j + 1]! * 4294967296 + (words[2 * j]! >>> 0)
            : Number(v[j]!);
    }
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Row ranges [start, end) of equal `meter` (rows sorted by meter), with the meter; strings decoded once per run. */
function meterRuns(vector: arrow.Vector): { meter: string; start: number; end: number }[] {
  const runs: { meter: string; start: number; end: number }[] = [];
  const decoder = new TextDecoder();
  let base = 0;
  for (const d of vector.data) {
    const offsets = d.valueOffsets as Int32Array | undefined;
    const bytes = d.values as Uint8Array | undefined;
    const same = (a: number, b: number): boolean => {
      if (!offsets || !bytes) return vector.get(base + a - d.offset) === vector.get(base + b - d.offset);
      const la = offsets[a + 1]! - offsets[a]!;
      if (la !== offsets[b + 1]! - offsets[b]!) return false;
      for (let x = 0, pa = offsets[a]!, pb = offsets[b]!; x < la; x++)
        if (bytes[pa + x] !== bytes[pb + x]) return false;
      return true;
    };
    for (let i = 0; i < d.length; i++) {
      const j = d.offset + i;
      if (i > 0 && same(j, j - 1)) continue;
      const meter =
        offsets && bytes ? decoder.decode(bytes.subarray(offsets[j]!, offsets[j + 1]!)) : String(vector.get(base + i));
      if (runs.length > 0) runs[runs.length - 1]!.end = base + i;
      runs.push({ meter, start: base + i, end: base + d.length });
    }
    if (runs.length > 0) runs[runs.length - 1]!.end = base + d.length;
    base += d.length;
  }
  return runs;
}

/**
 * {@link readsFromIntervalRows} straight from an `intervals` Parquet object, column by column, as
 * columns ({@link ReadSeries}, no object per read): the month read of 10,000 meters is ~29 M
 * boundaries. Only `wanted` meters; one entry per run of a meter's rows (rows are sorted by meter
 * then time, so normally one per meter). Rows without a time or boundary registers are skipped.
 */
export function decodeIntervalSeries(bytes: Uint8Array, wanted: ReadonlySet<string>): [string, ReadSeries][] {
  const table = arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
  const n = table.numRows;
  const out: [string, ReadSeries][] = [];
  if (n === 0) return out;
  const runs = meterRuns(table.getChild('meter')!).filter((r) => wanted.has(r.meter));
  if (runs.length === 0) return out;
  const time = timeColumn(table.getChild('time')!, n);
  const start = floatColumn(table.getChild('kWh_start'), n)!;
  const end = floatColumn(table.getChild('kWh_end'), n)!;
  const revStart = floatColumn(table.getChild('Rev_kWh_start'), n);
  const revEnd = floatColumn(table.getChild('Rev_kWh_end'), n);
  const ok = (i: number) => !Number.isNaN(time[i]!) && !Number.isNaN(start[i]!) && !Number.isNaN(end[i]!);
  for (const run of runs) {
    // Rows are sorted by time: the start boundary is the previous interval's end unless there is a hole.
    let count = 0;
    let lastEnd = Number.NaN;
    let anyRev = false;
    for (let i = run.start; i < run.end; i++) {
      if (!ok(i)) continue;
      count += time[i] === lastEnd ? 1 : 2;
      lastEnd = time[i]! + INTERVAL_MS;
      if (revStart && revEnd && (!Number.isNaN(revStart[i]!) || !Number.isNaN(revEnd[i]!))) anyRev = true;
    }
    const timeMs = new Float64Array(count);
    const kWhTot = new Float64Array(count);
    const rev = anyRev ? new Float64Array(count) : undefined;
    let k = 0;
    lastEnd = Number.NaN;
    for (let i = run.start; i < run.end; i++) {
      if (!ok(i)) continue;
      const t = time[i]!;
      if (t !== lastEnd) {
        const rs = rev ? revStart![i]! : Number.NaN;
        timeMs[k] = t;
        kWhTot[k] = Number.isNaN(rs) ? start[i]! : start[i]! + rs;
        if (rev) rev[k] = rs;
        k++;
      }
      const re = rev ? revEnd![i]! : Number.NaN;
      timeMs[k] = t + INTERVAL_MS;
      kWhTot[k] = Number.isNaN(re) ? end[i]! : end[i]! + re;
      if (rev) rev[k] = re;
      k++;
      lastEnd = t + INTERVAL_MS;
    }
    out.push([run.meter, rev ? { timeMs, kWhTot, revKWhTot: rev } : { timeMs, kWhTot }]);
  }
  return out;
}
