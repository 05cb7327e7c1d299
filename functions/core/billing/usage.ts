/**
 * Register reads → energy per 15-minute interval of a {@link PeriodGrid} (pure).
 *
 * The rules (docs/billing.md, "Usage from register reads"):
 * - The energy of an interval is the difference of the meter's cumulative register at the interval's
 *   two boundaries; each boundary value is interpolated linearly between the reads just before and
 *   just after it. `_Diff` buckets are never summed, so a missed or duplicated bucket cannot change
 *   the total: the month's energy is exactly the register difference across the month.
 * - Forward energy is `kWh_Tot − Rev_kWh_Tot` when the meter reports reverse energy (EKM's total is
 *   forward + reverse); reverse energy is the difference of `Rev_kWh_Tot` the same way.
 * - A gap between two reads longer than {@link MAX_MEASURED_GAP_MS} still spreads the measured
 *   register difference evenly across the gap (linear interpolation does exactly that), but the
 *   intervals in it are marked estimated and flagged `ESTIMATED_USAGE`.
 * - A stretch with no read on one side (before the first read or after the last) is estimated from
 *   the meter's own mean energy for the same weekday and local hour among its measured intervals
 *   of the period (falling back to the same local hour, then to the mean interval), and flagged.
 *   Only when the period holds no measured interval at all is it 0, flagged `NO_READINGS`.
 * - A register that goes backwards never produces negative usage: a single high read followed by a
 *   return to the earlier level is dropped (spike), a single low read followed by a return is
 *   dropped (dip), and a lasting drop (rollover, replaced meter) restarts counting from the new
 *   value so that step counts 0. Each case is flagged `REGISTER_WENT_BACKWARDS`.
 * - Several meters of one tenant are summed; intervals outside the occupancy are 0 and never
 *   estimated or flagged.
 */

import type { MeterId } from '../readings/meter-id';
import {
  type BillingFlag,
  INTERVAL_MS,
  type IntervalUsage,
  type MeterReadList,
  type Occupancy,
  type PeriodGrid,
  type ReadSeries,
  type RegisterRead,
} from './model';

/** Reads further apart than this (one hour) are a gap: energy is spread evenly and flagged estimated. */
export const MAX_MEASURED_GAP_MS = 60 * 60 * 1000;

/** How an interval's energy was obtained (values of {@link MeterUsage.source}). */
export const SOURCE_MEASURED = 0;
/** Interpolated across a gap longer than {@link MAX_MEASURED_GAP_MS}: measured energy, spread. */
export const SOURCE_GAP = 1;
/** No read on one side: the meter's weekday/hour profile of the period. */
export const SOURCE_PROFILE = 2;
/** No read on one side and no measured interval to make a profile from: 0. */
export const SOURCE_NONE = 3;

/** The reads of one meter: read objects in any order, or columns ({@link ReadSeries}). */
export interface MeterReads {
  readonly meter: MeterId;
  readonly reads: MeterReadList;
}

/** Whether a meter's reads are the columnar form. */
export function isReadSeries(reads: MeterReadList): reads is ReadSeries {
  return !Array.isArray(reads);
}

/**
 * Read objects → columns (the edge for CSV and Parquet files): reads without a finite time or
 * `kWh_Tot` are dropped, the rest sorted by time, and of several reads at one instant the last is
 * kept. `revKWhTot` is present when any read has `Rev_kWh_Tot` (NaN where a read has none).
 */
export function toReadSeries(reads: readonly RegisterRead[]): ReadSeries {
  const sorted = sortedReads(reads);
  const n = sorted.length;
  const timeMs = new Float64Array(n);
  const kWhTot = new Float64Array(n);
  const hasRev = sorted.some((r) => r.revKWhTot !== undefined);
  const revKWhTot = hasRev ? new Float64Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    const r = sorted[k]!;
    timeMs[k] = r.timeMs;
    kWhTot[k] = r.kWhTot;
    if (revKWhTot) revKWhTot[k] = r.revKWhTot ?? Number.NaN;
  }
  return revKWhTot ? { timeMs, kWhTot, revKWhTot } : { timeMs, kWhTot };
}

/** Number of reads, and the first and last read time (either form, time-ordered). */
export function readSpan(reads: MeterReadList): { count: number; firstMs: number; lastMs: number } {
  if (isReadSeries(reads)) {
    const n = reads.timeMs.length;
    return { count: n, firstMs: reads.timeMs[0] ?? Number.NaN, lastMs: reads.timeMs[n - 1] ?? Number.NaN };
  }
  const n = reads.length;
  return { count: n, firstMs: reads[0]?.timeMs ?? Number.NaN, lastMs: reads[n - 1]?.timeMs ?? Number.NaN };
}

/** Number of reads with lo <= time <= hi, and the first and last such time (either form). */
export function readsWithin(
  reads: MeterReadList,
  lo: number,
  hi: number,
): { count: number; firstMs: number; lastMs: number } {
  let count = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  const visit = (t: number) => {
    if (t < lo || t > hi) return;
    count++;
    if (t < firstMs) firstMs = t;
    if (t > lastMs) lastMs = t;
  };
  if (isReadSeries(reads)) for (const t of reads.timeMs) visit(t);
  else for (const r of reads) visit(r.timeMs);
  return { count, firstMs, lastMs };
}

/** A step where the register went backwards, and what was done about it. */
export interface BackwardsStep {
  readonly timeMs: number;
  readonly register: 'kWh_Tot' | 'Rev_kWh_Tot' | 'forward';
  readonly from: number;
  readonly to: number;
  /** spike: the earlier read was too high and dropped; dip: this read was too low and dropped; reset: counting restarted. */
  readonly action: 'spike' | 'dip' | 'reset';
}

/** Usage of one meter over the whole grid (occupancy not applied yet). */
export interface MeterUsage {
  readonly meter: MeterId;
  readonly kWh: Float64Array;
  readonly revKWh?: Float64Array;
  /** Per interval: SOURCE_MEASURED, SOURCE_GAP, SOURCE_PROFILE or SOURCE_NONE. */
  readonly source: Uint8Array;
  readonly backwards: readonly BackwardsStep[];
  /** First and last read time used (UTC ms), when the meter has any reads. */
  readonly firstReadMs?: number;
  readonly lastReadMs?: number;
  /**
   * With {@link MeterUsageOptions.boundaries}: the cleaned forward register (and reverse register)
   * interpolated at each of the `count + 1` interval boundaries, NaN where no read brackets it. The
   * lake's `intervals` dataset stores these so a month can be re-assembled from days
   * (functions/core/parquet/intervals.ts).
   */
  readonly forwardAt?: Float64Array;
  readonly reverseAt?: Float64Array;
}

/** The occupied part of a period as day indices into `grid.dates` (inclusive). */
export interface OccupiedDays extends Occupancy {
  readonly firstDay: number;
  readonly lastDay: number;
}

export interface MeterUsageOptions {
  /** Gap length above which interpolated intervals count as estimated. Default {@link MAX_MEASURED_GAP_MS}. */
  readonly maxGapMs?: number;
  /** Also return the interpolated register at every boundary ({@link MeterUsage.forwardAt}). */
  readonly boundaries?: boolean;
}

/**
 * The occupied days of a grid for a tenancy (local dates `YYYY-MM-DD`, both billed), or undefined
 * when the tenancy does not overlap the period.
 */
export function occupiedDays(grid: PeriodGrid, moveIn?: string, moveOut?: string): OccupiedDays | undefined {
  const dates = grid.dates;
  const n = dates.length;
  let firstDay = 0;
  let lastDay = n - 1;
  if (moveIn !== undefined) while (firstDay < n && dates[firstDay]! < moveIn) firstDay++;
  if (moveOut !== undefined) while (lastDay >= 0 && dates[lastDay]! > moveOut) lastDay--;
  if (firstDay > lastDay) return undefined;
  return { firstDay, lastDay, days: lastDay - firstDay + 1, daysInPeriod: n };
}

/** Interval index range [start, end) of a day range (dayIndex is non-decreasing). */
function intervalRange(grid: PeriodGrid, firstDay: number, lastDay: number): [number, number] {
  let start = 0;
  while (start < grid.count && grid.dayIndex[start]! < firstDay) start++;
  let end = start;
  while (end < grid.count && grid.dayIndex[end]! <= lastDay) end++;
  return [start, end];
}

function lowerBound(times: Float64Array, value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Clean a register series into a non-decreasing one (see the module rules) in one pass.
 * Returns kept times and adjusted values.
 */
function cleanRegister(
  times: Float64Array,
  values: Float64Array,
  register: BackwardsStep['register'],
  backwards: BackwardsStep[],
): { t: Float64Array; v: Float64Array } {
  const n = times.length;
  // A register that never goes backwards is kept as it is (no copy).
  let monotone = true;
  for (let k = 1; k < n && monotone; k++) monotone = values[k]! >= values[k - 1]!;
  if (monotone) return { t: times, v: values };
  const kt = new Float64Array(n);
  const kv = new Float64Array(n); // adjusted (raw + offset)
  const kr = new Float64Array(n); // raw
  let m = 0;
  let offset = 0;
  for (let k = 0; k < n; k++) {
    const raw = values[k]!;
    const t = times[k]!;
    if (m > 0 && raw < kr[m - 1]!) {
      const lastRaw = kr[m - 1]!;
      if (m >= 2 && raw >= kr[m - 2]!) {
        backwards.push({ timeMs: kt[m - 1]!, register, from: lastRaw, to: raw, action: 'spike' });
        m--;
      } else if (k + 1 < n && values[k + 1]! >= lastRaw) {
        backwards.push({ timeMs: t, register, from: lastRaw, to: raw, action: 'dip' });
        continue;
      } else {
        backwards.push({ timeMs: t, register, from: lastRaw, to: raw, action: 'reset' });
        offset = kv[m - 1]! - raw;
      }
    }
    kt[m] = t;
    kr[m] = raw;
    kv[m] = raw + offset;
    m++;
  }
  return { t: kt.subarray(0, m), v: kv.subarray(0, m) };
}

/**
 * Energy per interval from a cleaned register series: boundary values interpolated between the
 * reads around them. `source` gets SOURCE_GAP where a boundary sits in a gap longer than maxGapMs;
 * intervals with an unknown boundary are left NaN for the profile step.
 */
function intervalsFromRegister(
  grid: PeriodGrid,
  t: Float64Array,
  v: Float64Array,
  maxGapMs: number,
  out: Float64Array,
  source: Uint8Array | undefined,
  bounds?: Float64Array,
): void {
  const count = grid.count;
  const m = t.length;
  let k = 0;
  let prevValue = Number.NaN;
  let prevSpan = 0;
  for (let j = 0; j <= count; j++) {
    const b = grid.startMs + j * INTERVAL_MS;
    while (k + 1 < m && t[k + 1]! <= b) k++;
    let value = Number.NaN;
    let span = 0;
    if (m > 0 && t[k]! <= b) {
      if (t[k] === b) value = v[k]!;
      else if (k + 1 < m) {
        span = t[k + 1]! - t[k]!;
        value = v[k]! + ((v[k + 1]! - v[k]!) * (b - t[k]!)) / span;
      }
    }
    if (bounds) bounds[j] = value;
    if (j > 0) {
      const i = j - 1;
      if (Number.isNaN(prevValue) || Number.isNaN(value)) out[i] = Number.NaN;
      else {
        const e = value - prevValue;
        out[i] = Math.max(e, 0);
        if (source && (span > maxGapMs || prevSpan > maxGapMs)) source[i] = SOURCE_GAP;
      }
    }
    prevValue = value;
    prevSpan = span;
  }
}

/** Weekday (0 Sunday) of each local date of the grid. */
function weekdays(grid: PeriodGrid): Uint8Array {
  const out = new Uint8Array(grid.dates.length);
  grid.dates.forEach((d, i) => {
    out[i] = new Date(`${d}T00:00:00Z`).getUTCDay();
  });
  return out;
}

/** Fill NaN intervals from the weekday/hour profile of the known ones; returns whether any existed. */
function fillFromProfile(grid: PeriodGrid, kWh: Float64Array, source: Uint8Array, wd: Uint8Array): void {
  const slotSum = new Float64Array(168);
  const slotN = new Uint32Array(168);
  const hourSum = new Float64Array(24);
  const hourN = new Uint32Array(24);
  let allSum = 0;
  let allN = 0;
  // Measured intervals first; if there are none, the gap-spread ones (still measured energy).
  for (const wanted of [SOURCE_MEASURED, SOURCE_GAP]) {
    for (let i = 0; i < grid.count; i++) {
      const e = kWh[i]!;
      if (Number.isNaN(e) || source[i] !== wanted) continue;
      const h = grid.localHour[i]!;
      const slot = wd[grid.dayIndex[i]!]! * 24 + h;
      slotSum[slot]! += e;
      slotN[slot]!++;
      hourSum[h]! += e;
      hourN[h]!++;
      allSum += e;
      allN++;
    }
    if (allN > 0) break;
  }
  for (let i = 0; i < grid.count; i++) {
    if (!Number.isNaN(kWh[i]!)) continue;
    if (allN === 0) {
      kWh[i] = 0;
      source[i] = SOURCE_NONE;
      continue;
    }
    const h = grid.localHour[i]!;
    const slot = wd[grid.dayIndex[i]!]! * 24 + h;
    kWh[i] = slotN[slot]! > 0 ? slotSum[slot]! / slotN[slot]! : hourN[h]! > 0 ? hourSum[h]! / hourN[h]! : allSum / allN;
    source[i] = SOURCE_PROFILE;
  }
}

/**
 * Usage of one meter over the whole grid (occupancy is applied by {@link tenantUsage}).
 * One pass over the reads that matter: the last read at or before the period start through the
 * first read at or after its end.
 */
export function meterUsage(
  grid: PeriodGrid,
  meter: MeterReads,
  opts: MeterUsageOptions = {},
  wd: Uint8Array = weekdays(grid),
): MeterUsage {
  const maxGapMs = opts.maxGapMs ?? MAX_MEASURED_GAP_MS;
  // One implementation of the rules, over columns: read objects are turned into columns first.
  const reads = isReadSeries(meter.reads) ? meter.reads : toReadSeries(meter.reads);
  const all = reads.timeMs;
  const total = all.length;
  // Keep one read more on each side than the bracketing ones, so a bad bracketing read is caught.
  let lo = lowerBound(all, grid.startMs);
  if (lo === total || all[lo]! > grid.startMs) lo--;
  lo = Math.max(0, lo - 1);
  let hi = lowerBound(all, grid.endMs);
  hi = Math.min(total, hi + 2);
  const revAll = reads.revKWhTot;
  let hasRev = false;
  if (revAll) for (let k = lo; k < hi && !hasRev; k++) hasRev = !Number.isNaN(revAll[k]!);
  // With reverse energy, only the reads that have a finite `Rev_kWh_Tot` make the series.
  let n = 0;
  if (hasRev) {
    for (let k = lo; k < hi; k++) if (Number.isFinite(revAll![k]!)) n++;
  } else n = Math.max(0, hi - lo);
  // Without reverse energy the reads used are a window of the columns (views, no copy).
  const times = hasRev ? new Float64Array(n) : all.subarray(lo, lo + n);
  const fwd = hasRev ? new Float64Array(n) : reads.kWhTot.subarray(lo, lo + n);
  const rev = hasRev ? new Float64Array(n) : undefined;
  if (rev) {
    for (let k = lo, j = 0; k < hi; k++) {
      const r = revAll![k]!;
      if (!Number.isFinite(r)) continue;
      rev[j] = r;
      fwd[j] = reads.kWhTot[k]! - r;
      times[j] = all[k]!;
      j++;
    }
  }
  const backwards: BackwardsStep[] = [];
  const kWh = new Float64Array(grid.count);
  const source = new Uint8Array(grid.count);
  const f = cleanRegister(times, fwd, rev ? 'forward' : 'kWh_Tot', backwards);
  const forwardAt = opts.boundaries ? new Float64Array(grid.count + 1) : undefined;
  const reverseAt = opts.boundaries && rev ? new Float64Array(grid.count + 1) : undefined;
  intervalsFromRegister(grid, f.t, f.v, maxGapMs, kWh, source, forwardAt);
  let revKWh: Float64Array | undefined;
  if (rev) {
    revKWh = new Float64Array(grid.count);
    const r = cleanRegister(times, rev, 'Rev_kWh_Tot', backwards);
    intervalsFromRegister(grid, r.t, r.v, maxGapMs, revKWh, undefined, reverseAt);
    // Reverse energy where forward is estimated from a profile is not guessed: 0.
    for (let i = 0; i < grid.count; i++) if (Number.isNaN(revKWh[i]!)) revKWh[i] = 0;
  }
  fillFromProfile(grid, kWh, source, wd);
  return {
    meter: meter.meter,
    kWh,
    ...(revKWh ? { revKWh } : {}),
    source,
    backwards,
    ...(n > 0 ? { firstReadMs: times[0]!, lastReadMs: times[n - 1]! } : {}),
    ...(forwardAt ? { forwardAt } : {}),
    ...(reverseAt ? { reverseAt } : {}),
  };
}

function sortedReads(reads: readonly RegisterRead[]): readonly RegisterRead[] {
  let sorted = true;
  for (let k = 1; k < reads.length; k++) {
    if (reads[k]!.timeMs <= reads[k - 1]!.timeMs) {
      sorted = false;
      break;
    }
  }
  const valid = (r: RegisterRead) => Number.isFinite(r.kWhTot) && Number.isFinite(r.timeMs);
  if (sorted) return reads.every(valid) ? reads : reads.filter(valid);
  // Sort, and keep the last of several reads at one instant.
  const byTime = reads.filter(valid).sort((a, b) => a.timeMs - b.timeMs);
  const out: RegisterRead[] = [];
  for (const r of byTime) {
    if (out.length > 0 && out[out.length - 1]!.timeMs === r.timeMs) out[out.length - 1] = r;
    else out.push(r);
  }
  return out;
}

function dateOfMs(grid: PeriodGrid, ms: number): string {
  const i = Math.min(grid.count - 1, Math.max(0, Math.floor((ms - grid.startMs) / INTERVAL_MS)));
  return grid.dates[grid.dayIndex[i]!]!;
}

function uniqueDates(grid: PeriodGrid, mask: (i: number) => boolean, start: number, end: number): string[] {
  const out: string[] = [];
  let last = -1;
  for (let i = start; i < end; i++) {
    if (!mask(i)) continue;
    const d = grid.dayIndex[i]!;
    if (d !== last) {
      out.push(grid.dates[d]!);
      last = d;
    }
  }
  return out;
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * A tenant's usage: its meters summed over the occupied intervals (0 elsewhere), with flags that
 * name each meter and the local dates concerned. Without `occupied`, the whole period counts.
 */
export function tenantUsage(grid: PeriodGrid, meters: readonly MeterUsage[], occupied?: OccupiedDays): IntervalUsage {
  const [start, end] = occupied ? intervalRange(grid, occupied.firstDay, occupied.lastDay) : [0, grid.count];
  const kWh = new Float64Array(grid.count);
  const estimated = new Uint8Array(grid.count);
  const anyRev = meters.some((m) => m.revKWh !== undefined);
  const revKWh = anyRev ? new Float64Array(grid.count) : undefined;
  const flags: BillingFlag[] = [];
  const occStartMs = grid.startMs + start * INTERVAL_MS;
  const occEndMs = grid.startMs + end * INTERVAL_MS;
  for (const m of meters) {
    let gap = 0;
    let profile = 0;
    let none = 0;
    for (let i = start; i < end; i++) {
      kWh[i]! += m.kWh[i]!;
      if (revKWh && m.revKWh) revKWh[i]! += m.revKWh[i]!;
      const s = m.source[i]!;
      if (s !== SOURCE_MEASURED) {
        estimated[i] = 1;
        if (s === SOURCE_GAP) gap++;
        else if (s === SOURCE_PROFILE) profile++;
        else none++;
      }
    }
    if (none > 0) {
      flags.push({
        code: 'NO_READINGS',
        meter: m.meter,
        message: `meter ${m.meter}: no reads to measure or estimate ${none} of ${end - start} intervals; they count as 0 kWh`,
        dates: uniqueDates(grid, (i) => m.source[i] === SOURCE_NONE, start, end),
      });
    }
    if (gap + profile > 0) {
      const parts = [
        gap > 0
          ? `${gap} in gaps over ${MAX_MEASURED_GAP_MS / 60_000} min between reads (measured energy spread evenly)`
          : '',
        profile > 0 ? `${profile} with no read on one side (from the meter's weekday/hour profile)` : '',
      ].filter(Boolean);
      flags.push({
        code: 'ESTIMATED_USAGE',
        meter: m.meter,
        message: `meter ${m.meter}: ${gap + profile} of ${end - start} intervals estimated: ${parts.join('; ')}`,
        dates: uniqueDates(grid, (i) => m.source[i] === SOURCE_GAP || m.source[i] === SOURCE_PROFILE, start, end),
      });
    }
    if (
      m.firstReadMs !== undefined &&
      m.lastReadMs !== undefined &&
      (m.firstReadMs > occStartMs || m.lastReadMs < occEndMs) &&
      profile > 0
    ) {
      flags.push({
        code: 'PARTIAL_COVERAGE',
        meter: m.meter,
        message: `meter ${m.meter}: reads run from ${isoMinute(m.firstReadMs)} to ${isoMinute(m.lastReadMs)} UTC, not the whole billed period`,
      });
    }
    const steps = m.backwards.filter((b) => b.timeMs >= occStartMs - MAX_MEASURED_GAP_MS && b.timeMs <= occEndMs);
    if (steps.length > 0) {
      const first = steps[0]!;
      const what = {
        spike: 'a high read was dropped',
        dip: 'a low read was dropped',
        reset: 'counting restarted from the new value',
      };
      flags.push({
        code: 'REGISTER_WENT_BACKWARDS',
        meter: m.meter,
        message: `meter ${m.meter}: register went backwards ${steps.length} time(s), first ${first.register} ${first.from} → ${first.to} at ${isoMinute(first.timeMs)} UTC (${what[first.action]}); no usage counted negative`,
        dates: [...new Set(steps.map((b) => dateOfMs(grid, b.timeMs)))],
      });
    }
  }
  return { kWh, ...(revKWh ? { revKWh } : {}), estimated, flags };
}

/**
 * Share of a day range's intervals that had no read on one side (SOURCE_PROFILE or SOURCE_NONE)
 * for one meter: bills refuse a meter when more than {@link MAX_PROFILE_SHARE} would be estimated
 * that way (too little measured to estimate from).
 */
export function profileShare(grid: PeriodGrid, usage: MeterUsage, occupied?: OccupiedDays): number {
  const [start, end] = occupied ? intervalRange(grid, occupied.firstDay, occupied.lastDay) : [0, grid.count];
  let n = 0;
  for (let i = start; i < end; i++) if (usage.source[i]! >= SOURCE_PROFILE) n++;
  return end > start ? n / (end - start) : 0;
}

/** At most half of a tenant's (or common area's) billed intervals may come from the profile. */
export const MAX_PROFILE_SHARE = 0.5;

/** Convenience: {@link meterUsage} for each meter, then {@link tenantUsage}. */
export function intervalUsage(
  grid: PeriodGrid,
  meters: readonly MeterReads[],
  occupied?: OccupiedDays,
  opts: MeterUsageOptions = {},
): IntervalUsage {
  const wd = weekdays(grid);
  return tenantUsage(
    grid,
    meters.map((m) => meterUsage(grid, m, opts, wd)),
    occupied,
  );
}
