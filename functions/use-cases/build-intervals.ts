/**
 * Build the lake's derived `intervals` object of one origin and UTC day (called by compaction,
 * functions/use-cases/compact-lake.ts, for every day it compacts; safe to run again at any time).
 *
 * Input: origin (key alias or gateway id) and date. Output: the key written and its row count
 * (no object when the day holds no usable reads).
 *
 * 1. List the origin's `realtime` and `summary` partitions of the day; read every object there (day,
 *    hourly and edge batch objects alike: a read held twice counts once, the reads are per time).
 * 2. Turn them into 15-minute intervals per meter (functions/core/parquet/intervals.ts: realtime
 *    first, then edge, then summary, with the billing engine's register rules).
 * 3. Write `dataset=intervals/date=D/origin=O/day-s00.parquet`: a deterministic key, so a re-run
 *    replaces the object instead of adding one.
 */
import { decodeRows, encodeRows } from '../core/parquet/encode';
import { DayReads, dayIntervalRows } from '../core/parquet/intervals';
import { normalizePrefix, objectKey, partitionPrefix } from '../core/parquet/object-keys';
import type { ObjectStore } from '../ports/object-store';
import { PARQUET_CONTENT_TYPE } from './write-readings';

export interface BuildIntervalsDeps {
  readonly objectStore: ObjectStore;
  readonly prefix?: string;
}

export interface BuildIntervalsResult {
  readonly origin: string;
  readonly date: string;
  /** The object written, absent when the day had no usable reads. */
  readonly key?: string;
  readonly rows: number;
}

/** The key of an origin's intervals object for one UTC day. */
export function intervalsKey(prefix: string, origin: string, date: string): string {
  return objectKey(prefix, { dataset: 'intervals', origin, date, window: { kind: 'day' }, shard: 0 });
}

export function makeBuildIntervals(deps: BuildIntervalsDeps) {
  const prefix = normalizePrefix(deps.prefix);
  return async function buildIntervals(input: { origin: string; date: string }): Promise<BuildIntervalsResult> {
    const reads = new DayReads();
    for (const dataset of ['realtime', 'summary'] as const) {
      const objects = await deps.objectStore.list(partitionPrefix(prefix, dataset, input.date, input.origin));
      for (const o of objects) {
        if (!o.key.endsWith('.parquet')) continue;
        const bytes = await deps.objectStore.get(o.key);
        if (!bytes) continue;
        const rows = decodeRows(bytes);
        if (dataset === 'realtime') reads.addReadingRows(rows);
        else reads.addSummaryRows(rows);
      }
    }
    const rows = dayIntervalRows(input.date, reads);
    if (rows.length === 0) return { ...input, rows: 0 };
    const key = intervalsKey(prefix, input.origin, input.date);
    await deps.objectStore.put(key, encodeRows('intervals', rows), PARQUET_CONTENT_TYPE);
    return { ...input, key, rows: rows.length };
  };
}
