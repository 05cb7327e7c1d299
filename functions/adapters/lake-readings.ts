import type { RegisterRead } from '../core/billing/model';
import type { ReadingsByMeter } from '../core/billing/readings-csv';
import { decodeRows } from '../core/parquet/encode';
import { DayReads, decodeIntervalReads, SOURCE_PRIORITY } from '../core/parquet/intervals';
import { normalizePrefix, parseObjectKey, utcDate } from '../core/parquet/object-keys';
import type { LakeRow } from '../core/parquet/rows';
import type { MeterId } from '../core/readings/meter-id';
import type { ReadingsSource } from '../ports/billing-sources';
import type { ObjectStore } from '../ports/object-store';

const DAY_MS = 86_400_000;

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
 *   the stored intervals, re-assembled as one register read per interval boundary
 *   (functions/core/parquet/intervals.ts `readsFromIntervalRows`);
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
    // Plain arrays (a month of 10,000 meters is ~29 M reads): sorted and de-duplicated at the end.
    const byMeter = new Map<string, RegisterRead[]>();
    const add = (meter: string, reads: readonly RegisterRead[]) => {
      let m = byMeter.get(meter);
      if (!m) {
        m = [];
        byMeter.set(meter, m);
      }
      for (const r of reads) m.push(r);
    };
    for (let day = Math.floor(fromMs / DAY_MS) - 1; day <= Math.floor(toMs / DAY_MS) + 1; day++) {
      const date = utcDate(day * DAY_MS);
      const perOrigin = new Map<
        string,
        { intervals?: string; raw: string[]; summary: string[]; uncompacted: boolean }
      >();
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
      for (const origin of [...perOrigin.keys()].sort()) {
        const entry = perOrigin.get(origin)!;
        if (entry.intervals && !entry.uncompacted) {
          const bytes = await this.objects.get(entry.intervals);
          this.opts.onDay?.(date, 'intervals', 1);
          if (bytes) for (const [meter, reads] of decodeIntervalReads(bytes, wanted)) add(meter, reads);
          continue;
        }
        const reads = new DayReads();
        reads.addReadingRows((await this.rowsOf(entry.raw)).filter((r) => wanted.has(r.meter as string)));
        reads.addSummaryRows((await this.rowsOf(entry.summary)).filter((r) => wanted.has(r.meter as string)));
        this.opts.onDay?.(date, 'raw', entry.raw.length + entry.summary.length);
        for (const meter of reads.meterIds()) {
          const sources = reads.sources(meter);
          // Realtime first: at one instant the first source's read is kept (`add`).
          for (const s of SOURCE_PRIORITY) {
            const sr = sources.get(s);
            if (sr) add(meter, sr.reads);
          }
        }
      }
    }
    const out = new Map<MeterId, readonly RegisterRead[]>();
    for (const [meter, reads] of byMeter) {
      // Stable sort: at one instant the read added first (first origin, realtime first) stays.
      reads.sort((a, b) => a.timeMs - b.timeMs);
      let n = 0;
      for (let k = 0; k < reads.length; k++)
        if (n === 0 || reads[k]!.timeMs !== reads[n - 1]!.timeMs) reads[n++] = reads[k]!;
      reads.length = n;
      out.set(meter as MeterId, reads);
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
