import type { ReadSeries, RegisterRead } from '../core/billing/model';
import type { ReadingsByMeter } from '../core/billing/readings-csv';
import { decodeRows } from '../core/parquet/encode';
import { DayReads, decodeIntervalSeries, SOURCE_PRIORITY } from '../core/parquet/intervals';
import { normalizePrefix, parseObjectKey, utcDate } from '../core/parquet/object-keys';
import type { LakeRow } from '../core/parquet/rows';
import type { MeterId } from '../core/readings/meter-id';
import type { ReadingsSource } from '../ports/billing-sources';
import type { ObjectStore } from '../ports/object-store';

const DAY_MS = 86_400_000;
/** Day partitions read at once. */
const DAY_CONCURRENCY = 3;

/** Read objects → columns as they are (order and duplicates kept; `mergeSeries` sorts). */
function columnsInOrder(reads: readonly RegisterRead[]): ReadSeries {
  const n = reads.length;
  const timeMs = new Float64Array(n);
  const kWhTot = new Float64Array(n);
  const anyRev = reads.some((r) => r.revKWhTot !== undefined);
  const revKWhTot = anyRev ? new Float64Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    const r = reads[k]!;
    timeMs[k] = r.timeMs;
    kWhTot[k] = r.kWhTot;
    if (revKWhTot) revKWhTot[k] = r.revKWhTot ?? Number.NaN;
  }
  return revKWhTot ? { timeMs, kWhTot, revKWhTot } : { timeMs, kWhTot };
}

/**
 * A meter's reads appended chunk by chunk (in the order read), into arrays sized for the whole
 * window up front (grown by doubling if short); at an instant read by several chunks the first
 * chunk's read is kept. Chunks out of time order fall back to {@link mergeSeries}.
 */
class SeriesBuilder {
  private t: Float64Array;
  private k: Float64Array;
  private r?: Float64Array;
  private n = 0;
  private rest?: ReadSeries[];
  constructor(private capacity: number) {
    this.t = new Float64Array(capacity);
    this.k = new Float64Array(capacity);
  }

  add(c: ReadSeries): void {
    if (this.rest) {
      this.rest.push(c);
      return;
    }
    const m = c.timeMs.length;
    let ordered = m === 0 || this.n === 0 || c.timeMs[0]! >= this.t[this.n - 1]!;
    for (let j = 1; j < m && ordered; j++) ordered = c.timeMs[j]! > c.timeMs[j - 1]!;
    if (!ordered) {
      this.rest = [this.current(), c];
      return;
    }
    if (this.n + m > this.capacity) this.grow(Math.max(2 * this.capacity, this.n + m));
    if (c.revKWhTot && !this.r) this.r = new Float64Array(this.capacity).fill(Number.NaN, 0, this.n);
    for (let j = 0; j < m; j++) {
      const time = c.timeMs[j]!;
      if (this.n > 0 && this.t[this.n - 1] === time) continue; // a day's last boundary is the next day's first
      this.t[this.n] = time;
      this.k[this.n] = c.kWhTot[j]!;
      if (this.r) this.r[this.n] = c.revKWhTot ? c.revKWhTot[j]! : Number.NaN;
      this.n++;
    }
  }

  finish(): ReadSeries {
    return this.rest ? mergeSeries(this.rest) : this.current();
  }

  private current(): ReadSeries {
    const n = this.n;
    const t = this.t.subarray(0, n);
    const k = this.k.subarray(0, n);
    return this.r ? { timeMs: t, kWhTot: k, revKWhTot: this.r.subarray(0, n) } : { timeMs: t, kWhTot: k };
  }

  private grow(capacity: number): void {
    const more = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.t = more(this.t);
    this.k = more(this.k);
    if (this.r) this.r = more(this.r);
    this.capacity = capacity;
  }
}

/**
 * A meter's chunks (in the order read: day, then origin, then source) → one series in time order;
 * at an instant read by several chunks the first chunk's read is kept.
 */
export function mergeSeries(chunks: readonly ReadSeries[]): ReadSeries {
  let total = 0;
  let anyRev = false;
  // Fast path: every chunk increasing and starting at or after the previous one's end.
  let ordered = true;
  let last = Number.NEGATIVE_INFINITY;
  for (const c of chunks) {
    total += c.timeMs.length;
    if (c.revKWhTot) anyRev = true;
    for (let k = 0; k < c.timeMs.length && ordered; k++) {
      const t = c.timeMs[k]!;
      if (t < last || (t === last && k > 0)) ordered = false;
      last = t;
    }
  }
  const timeMs = new Float64Array(total);
  const kWhTot = new Float64Array(total);
  const rev = anyRev ? new Float64Array(total) : undefined;
  let n = 0;
  if (ordered) {
    for (const c of chunks) {
      for (let k = 0; k < c.timeMs.length; k++) {
        const t = c.timeMs[k]!;
        if (n > 0 && timeMs[n - 1] === t) continue; // a day's last boundary is the next day's first
        timeMs[n] = t;
        kWhTot[n] = c.kWhTot[k]!;
        if (rev) rev[n] = c.revKWhTot ? c.revKWhTot[k]! : Number.NaN;
        n++;
      }
    }
  } else {
    const refs: { t: number; c: number; k: number }[] = [];
    chunks.forEach((c, ci) => {
      for (let k = 0; k < c.timeMs.length; k++) refs.push({ t: c.timeMs[k]!, c: ci, k });
    });
    refs.sort((a, b) => a.t - b.t); // stable: at one instant the first chunk's read stays first
    for (const r of refs) {
      if (n > 0 && timeMs[n - 1] === r.t) continue;
      const c = chunks[r.c]!;
      timeMs[n] = r.t;
      kWhTot[n] = c.kWhTot[r.k]!;
      if (rev) rev[n] = c.revKWhTot ? c.revKWhTot[r.k]! : Number.NaN;
      n++;
    }
  }
  const cut = (a: Float64Array) => (n === total ? a : a.slice(0, n));
  return rev
    ? { timeMs: cut(timeMs), kWhTot: cut(kWhTot), revKWhTot: cut(rev) }
    : { timeMs: cut(timeMs), kWhTot: cut(kWhTot) };
}

export interface LakeReadingsOptions {
  readonly prefix?: string;
  /** Called once per day partition read (progress for long runs). */
  readonly onDay?: (date: string, from: 'intervals' | 'raw', objects: number) => void;
}

/**
 * Register reads of a month from the lake, through the ObjectStore port (S3 or s3rver), listing only
 * the date partitions of the month (plus one day on each side, for the reads that bracket its edges).
 *
 * Per origin and UTC day:
 * - compacted (an `intervals` object exists and the `realtime` partition holds only `day-s*` objects):
 *   the stored intervals, re-assembled as one register read per interval boundary, decoded column
 *   by column into columns ({@link ReadSeries}, functions/core/parquet/intervals.ts
 *   `decodeIntervalSeries`): no object per read;
 * - otherwise the raw rows (`realtime` hourly, day and edge batch objects, and `summary` buckets),
 *   per meter the reads of every source, and at an instant read by several the realtime one, then
 *   edge, then summary (the register is the same; more reads only make the intervals more exact).
 *
 * A meter read through several origins (a key alias and an edge gateway) gets the union of them;
 * reads at one instant keep the first origin's (origins in name order). The billing engine then
 * applies its own register rules (functions/core/billing/usage.ts) to the reads.
 */
export class LakeReadingsSource implements ReadingsSource {
  private readonly prefix: string;
  constructor(
    private readonly objects: ObjectStore,
    private readonly opts: LakeReadingsOptions = {},
  ) {
    this.prefix = normalizePrefix(opts.prefix);
  }

  get description(): string {
    return `the lake (${this.prefix || 'no prefix'})`;
  }

  async readings(meters: readonly MeterId[], fromMs: number, toMs: number): Promise<ReadingsByMeter> {
    const wanted = new Set<string>(meters);
    const firstDay = Math.floor(fromMs / DAY_MS) - 1;
    const days = Math.floor(toMs / DAY_MS) + 1 - firstDay + 1;
    // Days read a few at a time (listing and fetching overlap decoding); each day's columns are
    // kept per meter in day order and merged per meter at the end (no object per read: a month of
    // 10,000 meters is ~29 M reads).
    // Days finish in any order; each is merged (in day order) as soon as the days before it are,
    // then dropped.
    const done = new Map<number, [string, ReadSeries][]>();
    const builders = new Map<string, SeriesBuilder>();
    let merged = 0;
    const mergeReady = () => {
      for (let got = done.get(merged); got; got = done.get(merged)) {
        done.delete(merged);
        const left = days - merged;
        for (const [meter, series] of got) {
          let b = builders.get(meter);
          if (!b) {
            b = new SeriesBuilder(series.timeMs.length * left + 1);
            builders.set(meter, b);
          }
          b.add(series);
        }
        merged++;
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < days) {
        const d = next++;
        done.set(d, await this.day(utcDate((firstDay + d) * DAY_MS), wanted));
        mergeReady();
      }
    };
    await Promise.all(Array.from({ length: Math.min(DAY_CONCURRENCY, days) }, worker));
    const out = new Map<MeterId, ReadSeries>();
    for (const [meter, b] of builders) out.set(meter as MeterId, b.finish());
    return out;
  }

  /** One UTC day's reads of the wanted meters, per origin in name order (see the class comment). */
  private async day(date: string, wanted: ReadonlySet<string>): Promise<[string, ReadSeries][]> {
    const perOrigin = new Map<string, { intervals?: string; raw: string[]; summary: string[]; uncompacted: boolean }>();
    for (const dataset of ['intervals', 'realtime', 'summary'] as const) {
      for (const o of await this.objects.list(`${this.prefix}dataset=${dataset}/date=${date}/`)) {
        const ref = parseObjectKey(o.key);
        if (!ref) continue;
        const entry = perOrigin.get(ref.origin) ?? { raw: [], summary: [], uncompacted: false };
        if (dataset === 'intervals') entry.intervals = o.key;
        else if (dataset === 'summary') entry.summary.push(o.key);
        else {
          entry.raw.push(o.key);
          if (ref.window.kind !== 'day') entry.uncompacted = true;
        }
        perOrigin.set(ref.origin, entry);
      }
    }
    const out: [string, ReadSeries][] = [];
    for (const origin of [...perOrigin.keys()].sort()) {
      const entry = perOrigin.get(origin)!;
      if (entry.intervals && !entry.uncompacted) {
        const bytes = await this.objects.get(entry.intervals);
        this.opts.onDay?.(date, 'intervals', 1);
        if (bytes) for (const chunk of decodeIntervalSeries(bytes, wanted)) out.push(chunk);
        continue;
      }
      const reads = new DayReads();
      reads.addReadingRows((await this.rowsOf(entry.raw)).filter((r) => wanted.has(r.meter as string)));
      reads.addSummaryRows((await this.rowsOf(entry.summary)).filter((r) => wanted.has(r.meter as string)));
      this.opts.onDay?.(date, 'raw', entry.raw.length + entry.summary.length);
      for (const meter of reads.meterIds()) {
        const sources = reads.sources(meter);
        // Realtime first: at one instant the first source's read is kept (`mergeSeries`).
        for (const s of SOURCE_PRIORITY) {
          const sr = sources.get(s);
          if (sr) out.push([meter, columnsInOrder(sr.reads)]);
        }
      }
    }
    return out;
  }

  private async rowsOf(keys: readonly string[]): Promise<LakeRow[]> {
    const rows: LakeRow[] = [];
    for (const key of keys) {
      const bytes = await this.objects.get(key);
      if (bytes) for (const row of decodeRows(bytes)) rows.push(row);
    }
    return rows;
  }
}
