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
import { INTERVAL_MS, type RegisterRead } from '../billing/model';
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

/**
 * {@link readsFromIntervalRows} straight from an `intervals` Parquet object, column by column (no
 * row objects): the month read of 10,000 meters decodes ~29 M intervals. Only `wanted` meters.
 */
export function decodeIntervalReads(bytes: Uint8Array, wanted: ReadonlySet<string>): Map<string, RegisterRead[]> {
  const table = arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
  const out = new Map<string, RegisterRead[]>();
  const col = (name: string) => table.getChild(name);
  const meter = col('meter')!;
  const time = col('time')!;
  const start = col('kWh_start')!;
  const end = col('kWh_end')!;
  const revStart = col('Rev_kWh_start');
  const revEnd = col('Rev_kWh_end');
  const n = table.numRows;
  let current: string | undefined;
  let list: RegisterRead[] | undefined;
  let lastEnd = Number.NaN;
  for (let i = 0; i < n; i++) {
    const m = meter.get(i) as string;
    if (m !== current) {
      current = m;
      lastEnd = Number.NaN;
      list = wanted.has(m) ? (out.get(m) ?? []) : undefined;
      if (list) out.set(m, list);
    }
    if (!list) continue;
    const t = Number(time.get(i));
    const s = start.get(i) as number;
    const e = end.get(i) as number;
    const rs = revStart?.get(i) as number | null | undefined;
    const re = revEnd?.get(i) as number | null | undefined;
    // Rows are sorted by meter then time: the start read is the previous interval's end unless there is a hole.
    if (t !== lastEnd)
      list.push(
        rs === null || rs === undefined ? { timeMs: t, kWhTot: s } : { timeMs: t, kWhTot: s + rs, revKWhTot: rs },
      );
    const te = t + INTERVAL_MS;
    list.push(
      re === null || re === undefined ? { timeMs: te, kWhTot: e } : { timeMs: te, kWhTot: e + re, revKWhTot: re },
    );
    lastEnd = te;
  }
  return out;
}
