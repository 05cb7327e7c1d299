/**
 * Write readings (or summary buckets) into the Parquet lake, idempotently.
 *
 * Input: readings of one origin (`via`: key alias or edge gateway id) from any source
 * (realtime, summary gap fills, edge). Output: the object keys written, rows written, rejected
 * readings, and the newest read time per meter (what a caller may move its cursor to).
 *
 * 1. Map each reading to a typed row; malformed ones are quarantined with their reason (the
 *    `quarantine` dataset), never dropped.
 * 2. Group rows by their deterministic object (dataset, origin, UTC date, hour window, meter shard).
 * 3. For each object: read what it holds, merge (one row per meter+time+source, sorted), encode,
 *    PUT. A re-run or a re-delivered read therefore replaces instead of adding, and a PUT is atomic,
 *    so nothing is ever half-written.
 * 4. Resolve only after every PUT succeeded: callers advance cursors after this promise.
 */
import { forEachLimit } from '../core/for-each-limit';
import { decodeRows, encodeRows } from '../core/parquet/encode';
import type { Dataset } from '../core/parquet/lake-schema';
import { hourWindowOf, type LakeObjectRef, objectKey, shardOf, utcDate } from '../core/parquet/object-keys';
import { bucketToRow, type LakeRow, mergeRows, quarantineRow, type Rejected, readingToRow } from '../core/parquet/rows';
import type { Reading } from '../core/readings/reading';
import type { Clock } from '../ports/clock';
import type { SummaryBucket } from '../ports/ekm-api';
import type { ObjectStore } from '../ports/object-store';

export interface LakeWriterDeps {
  readonly objectStore: ObjectStore;
  /** Key prefix inside the bucket ('' or `lake/`). */
  readonly prefix?: string;
  readonly clock: Clock;
  /** Meter shards per hour window (default 1). Keep it stable for an origin: it is part of the keys. */
  readonly shards?: number;
  /** Objects written in parallel (default 4). */
  readonly concurrency?: number;
}

export interface WriteResult {
  /** Object keys written (merged), sorted. */
  readonly keys: string[];
  /** Rows handed in that were accepted (before de-duplication against the objects). */
  readonly rows: number;
  readonly rejected: readonly Rejected[];
  /** Newest accepted read time per meter (UTC ms). */
  readonly newestByMeter: ReadonlyMap<string, number>;
}

export const PARQUET_CONTENT_TYPE = 'application/vnd.apache.parquet';

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Merge rows into one lake object: get, decode, merge, encode, put. */
export async function mergeIntoObject(
  store: ObjectStore,
  key: string,
  dataset: Dataset,
  rows: readonly LakeRow[],
): Promise<number> {
  const existing = await store.get(key);
  const merged = mergeRows(dataset, existing ? decodeRows(existing) : [], rows);
  await store.put(key, encodeRows(dataset, merged), PARQUET_CONTENT_TYPE);
  return merged.length;
}

/** The lake writer shared by realtime/summary ingest and the edge ingest endpoint. */
export function makeLakeWriter(deps: LakeWriterDeps) {
  const prefix = deps.prefix ?? '';
  const shards = deps.shards ?? 1;
  const concurrency = deps.concurrency ?? 4;

  async function writeGroups(dataset: Dataset, groups: Map<string, LakeRow[]>): Promise<string[]> {
    const keys = [...groups.keys()].sort();
    await forEachLimit(keys, concurrency, async (key) => {
      await mergeIntoObject(deps.objectStore, key, dataset, groups.get(key)!);
    });
    return keys;
  }

  async function quarantine(via: string, rejected: readonly Rejected[]): Promise<string[]> {
    if (rejected.length === 0) return [];
    const now = deps.clock.now();
    const { date, window } = hourWindowOf(now);
    const key = objectKey(prefix, { dataset: 'quarantine', origin: via, date, window, shard: 0 });
    return writeGroups('quarantine', new Map([[key, rejected.map((r) => quarantineRow(r, now))]]));
  }

  return {
    /** Write readings of one origin into the `realtime` dataset (hour windows), quarantining bad ones. */
    async writeReadings(readings: readonly Reading[], opts: { readonly via: string }): Promise<WriteResult> {
      const groups = new Map<string, LakeRow[]>();
      const rejected: Rejected[] = [];
      const newestByMeter = new Map<string, number>();
      let rows = 0;
      for (const reading of readings) {
        const mapped = readingToRow(reading);
        if ('rejected' in mapped) {
          rejected.push(mapped.rejected);
          continue;
        }
        if (reading.via !== opts.via) {
          rejected.push({
            reason: `via: reading came through ${JSON.stringify(reading.via)} but is written for ${JSON.stringify(opts.via)}`,
            meter: reading.meter,
            timeMs: reading.timeMs,
            source: reading.source,
            via: opts.via,
            raw: JSON.stringify(reading),
          });
          continue;
        }
        const { date, window } = hourWindowOf(reading.timeMs);
        const ref: LakeObjectRef = {
          dataset: 'realtime',
          origin: opts.via,
          date,
          window,
          shard: shardOf(reading.meter, shards),
        };
        const key = objectKey(prefix, ref);
        pushTo(groups, key, mapped.row);
        rows++;
        if (reading.timeMs > (newestByMeter.get(reading.meter) ?? Number.NEGATIVE_INFINITY))
          newestByMeter.set(reading.meter, reading.timeMs);
      }
      const keys = [...(await writeGroups('realtime', groups)), ...(await quarantine(opts.via, rejected))];
      return { keys: keys.sort(), rows, rejected, newestByMeter };
    },

    /** Write summary buckets of one key alias into the `summary` dataset (one object per UTC day and shard). */
    async writeBuckets(buckets: readonly SummaryBucket[], opts: { readonly via: string }): Promise<WriteResult> {
      const groups = new Map<string, LakeRow[]>();
      const rejected: Rejected[] = [];
      const newestByMeter = new Map<string, number>();
      let rows = 0;
      for (const bucket of buckets) {
        const mapped = bucketToRow(bucket, opts.via);
        if ('rejected' in mapped) {
          rejected.push(mapped.rejected);
          continue;
        }
        const ref: LakeObjectRef = {
          dataset: 'summary',
          origin: opts.via,
          date: utcDate(bucket.startMs),
          window: { kind: 'day' },
          shard: shardOf(bucket.meter, shards),
        };
        const key = objectKey(prefix, ref);
        pushTo(groups, key, mapped.row);
        rows++;
        if (bucket.endMs > (newestByMeter.get(bucket.meter) ?? Number.NEGATIVE_INFINITY))
          newestByMeter.set(bucket.meter, bucket.endMs);
      }
      const keys = [...(await writeGroups('summary', groups)), ...(await quarantine(opts.via, rejected))];
      return { keys: keys.sort(), rows, rejected, newestByMeter };
    },
  };
}

export type LakeWriter = ReturnType<typeof makeLakeWriter>;

/**
 * The brief's entry point for other writers (edge ingest, issue #5): write readings of one origin.
 * `makeWriteReadings({ objectStore, clock })(readings, { via })`.
 */
export function makeWriteReadings(deps: LakeWriterDeps) {
  const writer = makeLakeWriter(deps);
  return (readings: readonly Reading[], opts: { readonly via: string }): Promise<WriteResult> =>
    writer.writeReadings(readings, opts);
}
