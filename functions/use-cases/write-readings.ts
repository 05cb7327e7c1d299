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
 * 3. Realtime rows of an hour window become one object of their own per write, named by a hash
 *    of its content (`hHH-sSS-{hash}.parquet`, {@link writeRunObject}): the write never reads the
 *    hour back, so its cost does not grow as the hour fills; the query views keep one row per
 *    meter + time + source until compaction merges the window. Summary, quarantine and compacted
 *    day objects: read what it holds, merge (one row per meter+time+source, sorted), encode,
 *    PUT. Realtime objects are merged and encoded on typed columns (core/parquet/column-batch.ts,
 *    encode-columns.ts; test/unit/lake-columns-diff.test.ts holds them equal to the row path). A re-run or a re-delivered read therefore replaces instead of adding, and a PUT is atomic,
 *    so nothing is ever half-written.
 * 4. Resolve only after every PUT succeeded: callers advance cursors after this promise.
 *
 * Once a day is compacted (`day-sNN.parquet` exists), reads of that day are merged into the day
 * object instead of an hourly object beside it, so a late re-write (a re-run after a crash, the
 * overlap after an outage) never puts a second copy of a read next to the compacted one.
 * Edge batches are written differently: one object per batch ({@link makeEdgeBatchLake}).
 */
import { createHash } from 'node:crypto';
import { forEachLimit } from '../core/concurrency';
import { ValidationError } from '../core/errors';
import {
  COL,
  type ColumnBatch,
  ColumnBatchBuilder,
  compareRows,
  type FloatColumn,
  mergeOrder,
  type TextColumn,
  textAt,
} from '../core/parquet/column-batch';
import { decodeRows, encodeRows } from '../core/parquet/encode';
import { decodeColumnsInto, encodeColumnsStreaming } from '../core/parquet/encode-columns';
import type { Dataset } from '../core/parquet/lake-schema';
import {
  hourWindowOf,
  type LakeObjectRef,
  objectKey,
  parseObjectKey,
  partitionPrefix,
  shardOf,
  utcDate,
} from '../core/parquet/object-keys';
import { appendReading } from '../core/parquet/reading-columns';
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
  /**
   * Meter shards per hour window (default 1), or per origin. Keep it stable for an origin: it is
   * part of the keys. A key whose realtime ingest runs in parts writes one shard per part, so two
   * parts never merge into the same compacted day object (composition/lake.ts).
   */
  readonly shards?: number | ((origin: string) => number);
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

/** rows.ts: the read times the lake accepts (2000-01-01 .. 2100-01-01 UTC); only these get an object key. */
const LAKE_MIN_TIME_MS = 946_684_800_000;
const LAKE_MAX_TIME_MS = 4_102_444_800_000;

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

/**
 * Merge `realtime` rows held in columns into one lake object: get, decode into columns, merge (one
 * row per meter + time + source, incoming wins, sorted like {@link mergeRows}), encode, put.
 */
export async function mergeColumnsIntoObject(store: ObjectStore, key: string, incoming: ColumnBatch): Promise<number> {
  const existing = await store.get(key);
  const builder = new ColumnBatchBuilder(incoming.length + 1024);
  if (existing) decodeColumnsInto(existing, builder);
  builder.appendBatch(incoming);
  const order = mergeOrder(builder);
  await store.put(key, await encodeColumnsStreaming(builder.finish(order)), PARQUET_CONTENT_TYPE);
  return order.length;
}

/**
 * Write `realtime` rows of one hour window and shard as an object of their own: de-duplicated and
 * sorted like {@link mergeColumnsIntoObject}, keyed by a hash of the encoded bytes
 * (core/parquet/object-keys.ts, window kind `run`). The same reads give the same bytes, so a retry
 * replaces its own object; a read also held by another object is shown once by the query views
 * (adapters/duckdb-lake.ts, lib/constructs/readings-lake.ts) until compaction merges the window.
 * Returns the key written.
 */
export async function writeRunObject(
  store: ObjectStore,
  prefix: string,
  hour: LakeObjectRef,
  incoming: ColumnBatch,
): Promise<string> {
  if (hour.window.kind !== 'hour') throw new ValidationError('window', `a run object needs an hour window`);
  const builder = new ColumnBatchBuilder(incoming.length + 1);
  builder.appendBatch(incoming);
  const bytes = await encodeColumnsStreaming(builder.finish(mergeOrder(builder)));
  const id = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
  const key = objectKey(prefix, { ...hour, window: { kind: 'run', hour: hour.window.hour, id } });
  await store.put(key, bytes, PARQUET_CONTENT_TYPE);
  return key;
}

/** Writes refused readings to the `quarantine` dataset of an origin; resolves to the keys written. */
export type QuarantineWriter = (rejected: readonly Rejected[], via: string) => Promise<readonly string[]>;

/**
 * The one quarantine writer: refused readings go to `dataset=quarantine`, origin `via`, the hour of
 * detection, shard 0, merged into what is there so a re-write adds nothing. The lake writer uses it
 * for what it refuses; ingest uses it (same store, prefix and clock) for what the EKM parser refuses.
 */
export function makeQuarantineWriter(deps: {
  readonly objectStore: ObjectStore;
  readonly prefix?: string;
  readonly clock: Clock;
}): QuarantineWriter {
  return async (rejected, via) => {
    if (rejected.length === 0) return [];
    const now = deps.clock.now();
    const { date, window } = hourWindowOf(now);
    const key = objectKey(deps.prefix ?? '', { dataset: 'quarantine', origin: via, date, window, shard: 0 });
    await mergeIntoObject(
      deps.objectStore,
      key,
      'quarantine',
      rejected.map((r) => quarantineRow(r, now)),
    );
    return [key];
  };
}

/** The lake writer shared by realtime/summary ingest and the edge ingest endpoint. */
export function makeLakeWriter(deps: LakeWriterDeps) {
  const prefix = deps.prefix ?? '';
  const shardsOf = (origin: string) => (typeof deps.shards === 'function' ? deps.shards(origin) : (deps.shards ?? 1));
  const concurrency = deps.concurrency ?? 4;

  /**
   * Hour groups become objects of their own (`hHH-sSS-{content hash}.parquet`, {@link writeRunObject}):
   * nothing is read back, so a write costs what it adds however full the hour already is. Groups
   * re-targeted at a compacted day object are merged into it ({@link mergeColumnsIntoObject}).
   */
  async function writeColumnGroups(groups: Map<string, ColumnBatch>): Promise<string[]> {
    const targets = [...groups.keys()].sort();
    const written: string[] = [];
    await forEachLimit(targets, concurrency, async (key) => {
      const ref = parseObjectKey(key);
      if (ref && ref.window.kind === 'hour')
        written.push(await writeRunObject(deps.objectStore, prefix, ref, groups.get(key)!));
      else {
        await mergeColumnsIntoObject(deps.objectStore, key, groups.get(key)!);
        written.push(key);
      }
    });
    return written.sort();
  }

  async function writeGroups(dataset: Dataset, groups: Map<string, LakeRow[]>): Promise<string[]> {
    const keys = [...groups.keys()].sort();
    await forEachLimit(keys, concurrency, async (key) => {
      await mergeIntoObject(deps.objectStore, key, dataset, groups.get(key)!);
    });
    return keys;
  }

  /**
   * Re-target hourly groups whose day is already compacted at the day object (one LIST per
   * touched partition), so the day never holds a read twice.
   */
  async function intoCompactedDays(groups: Map<string, ColumnBatch>): Promise<Map<string, ColumnBatch>> {
    const listed = new Map<string, Set<string>>();
    const out = new Map<string, ColumnBatch>();
    for (const [key, rows] of groups) {
      const ref = parseObjectKey(key);
      let target = key;
      if (ref && ref.window.kind === 'hour') {
        const partition = partitionPrefix(prefix, ref.dataset, ref.date, ref.origin);
        let existing = listed.get(partition);
        if (!existing) {
          existing = new Set((await deps.objectStore.list(partition)).map((o) => o.key));
          listed.set(partition, existing);
        }
        const dayKey = objectKey(prefix, { ...ref, window: { kind: 'day' } });
        if (existing.has(dayKey)) target = dayKey;
      }
      const into = out.get(target);
      if (!into) out.set(target, rows);
      else {
        const both = new ColumnBatchBuilder(into.length + rows.length);
        both.appendBatch(into);
        both.appendBatch(rows);
        out.set(target, both.finish());
      }
    }
    return out;
  }

  const writeQuarantine = makeQuarantineWriter({ objectStore: deps.objectStore, prefix, clock: deps.clock });
  async function quarantine(via: string, rejected: readonly Rejected[]): Promise<string[]> {
    return [...(await writeQuarantine(rejected, via))];
  }

  return {
    /** Write readings of one origin into the `realtime` dataset (hour windows), quarantining bad ones. */
    async writeReadings(readings: readonly Reading[], opts: { readonly via: string }): Promise<WriteResult> {
      const groups = new Map<string, ColumnBatchBuilder>();
      const rejected: Rejected[] = [];
      const newestByMeter = new Map<string, number>();
      let rows = 0;
      for (const reading of readings) {
        // Readings go straight into their object's columns (core/parquet/reading-columns.ts); the
        // row mapping decides only for a reading of another origin or without a usable time/meter.
        const keyable =
          Number.isInteger(reading.timeMs) &&
          reading.timeMs >= LAKE_MIN_TIME_MS &&
          reading.timeMs < LAKE_MAX_TIME_MS &&
          typeof reading.meter === 'string';
        if (reading.via !== opts.via || !keyable) {
          const mapped = readingToRow(reading);
          if ('rejected' in mapped) {
            rejected.push(mapped.rejected);
            continue;
          }
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
          shard: shardOf(reading.meter, shardsOf(opts.via)),
        };
        const key = objectKey(prefix, ref);
        let group = groups.get(key);
        if (!group) {
          group = new ColumnBatchBuilder(256);
          groups.set(key, group);
        }
        const refused = appendReading(group, reading);
        if (refused) {
          rejected.push(refused);
          if (group.length === 0) groups.delete(key);
          continue;
        }
        rows++;
        if (reading.timeMs > (newestByMeter.get(reading.meter) ?? Number.NEGATIVE_INFINITY))
          newestByMeter.set(reading.meter, reading.timeMs);
      }
      const keys = [
        ...(await writeColumnGroups(
          await intoCompactedDays(new Map([...groups].map(([key, group]) => [key, group.finish()]))),
        )),
        ...(await quarantine(opts.via, rejected)),
      ];
      return { keys: keys.sort(), rows, rejected, newestByMeter };
    },

    /**
     * Write rows the columnar realtime parser put into `builder` (core/ekm/realtime-columns.ts:
     * `parseRealtimeInto` with `via` as the parse context's) into the `realtime` dataset, like
     * {@link writeReadings} writes the same reads: same objects, one row per meter + time + source.
     * `rejected` are the parse results' `lakeRejected`, quarantined here as writeReadings would.
     * Rows of another `via` are a programming error (the parser writes the context's).
     */
    async writeColumns(
      builder: ColumnBatchBuilder,
      opts: { readonly via: string; readonly rejected?: readonly Rejected[] },
    ): Promise<WriteResult> {
      const live = builder.liveRows();
      const view = builder.view();
      const meters = meterIdsOf(view, live);
      const times = (view.columns[COL.time] as FloatColumn).values;
      const byKey = new Map<string, number[]>();
      const newestByMeter = new Map<string, number>();
      const viaCol = view.columns[COL.via] as TextColumn;
      for (let k = 0; k < live.length; k++) {
        const i = live[k]!;
        if (k === 0 || compareRows(viaCol, i, live[k - 1]!) !== 0) {
          if (textAt(viaCol, i) !== opts.via)
            throw new ValidationError('via', `rows came through ${JSON.stringify(textAt(viaCol, i))}, not ${opts.via}`);
        }
        const meter = meters[k]!;
        const timeMs = times[i]!;
        const { date, window } = hourWindowOf(timeMs);
        const key = objectKey(prefix, {
          dataset: 'realtime',
          origin: opts.via,
          date,
          window,
          shard: shardOf(meter, shardsOf(opts.via)),
        });
        const list = byKey.get(key);
        if (list) list.push(i);
        else byKey.set(key, [i]);
        if (timeMs > (newestByMeter.get(meter) ?? Number.NEGATIVE_INFINITY)) newestByMeter.set(meter, timeMs);
      }
      const groups = new Map<string, ColumnBatch>();
      for (const [key, rows] of byKey) groups.set(key, builder.finish(Int32Array.from(rows)));
      const rejected = [...(opts.rejected ?? [])];
      const keys = [
        ...(await writeColumnGroups(await intoCompactedDays(groups))),
        ...(await quarantine(opts.via, rejected)),
      ];
      return { keys: keys.sort(), rows: live.length, rejected, newestByMeter };
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
          shard: shardOf(bucket.meter, shardsOf(opts.via)),
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

/** What ingest needs of the lake writer (readings and summary buckets). */
export type LakeWriter = Pick<ReturnType<typeof makeLakeWriter>, 'writeReadings' | 'writeBuckets'>;
/** The lake writer with its columnar entry point ({@link makeLakeWriter}'s `writeColumns`). */
export type ColumnarLakeWriter = ReturnType<typeof makeLakeWriter>;

/** The meter id of each of `rows` (decoded once per run of equal meters: reads come grouped by meter). */
function meterIdsOf(batch: ColumnBatch, rows: Int32Array): string[] {
  const col = batch.columns[COL.meter] as TextColumn;
  const out: string[] = new Array(rows.length);
  let last = -1;
  let id = '';
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    if (last < 0 || compareRows(col, i, last) !== 0) id = textAt(col, i) ?? '';
    last = i;
    out[k] = id;
  }
  return out;
}

/**
 * The edge endpoint's side of the lake: each batch is one object of its own (see
 * {@link writeEdgeBatch}), plus what the endpoint needs to check a batch against readings it
 * already accepted. Build it with the same store and prefix as the lake writer.
 */
export function makeEdgeBatchLake(deps: Pick<LakeWriterDeps, 'objectStore' | 'prefix'>) {
  const prefix = deps.prefix ?? '';
  /** Time range of each object read so far, by key, valid while its ETag is unchanged. */
  const timeRanges = new Map<string, { etag: string; minMs: number; maxMs: number }>();

  /** The object key of an edge batch (readings of one UTC date). */
  function edgeBatchKey(
    readings: readonly Reading[],
    opts: { readonly via: string; readonly batchId: string; readonly digest: string },
  ): string {
    const dates = [...new Set(readings.map((r) => utcDate(r.timeMs)))];
    if (dates.length !== 1)
      throw new ValidationError('readings', `an edge batch object holds one UTC date, got ${dates.join(', ')}`);
    const id = createHash('sha256').update(`${opts.batchId}\n${opts.digest}`).digest('hex').slice(0, 32);
    return objectKey(prefix, {
      dataset: 'realtime',
      origin: opts.via,
      date: dates[0]!,
      window: { kind: 'batch', id },
      shard: 0,
    });
  }

  return {
    /**
     * Write one edge batch as exactly one object of its own: `b-{hash of batch id and digest}.parquet`
     * in the batch's UTC date partition. One PUT, so the batch becomes visible all at once; a retry
     * writes the same key with the same bytes; no other batch's object is ever touched. Throws a
     * ValidationError for readings of more than one UTC date or any reading the lake refuses.
     */
    async writeEdgeBatch(
      readings: readonly Reading[],
      opts: { readonly via: string; readonly batchId: string; readonly digest: string },
    ): Promise<{ key: string; rows: number }> {
      const key = edgeBatchKey(readings, opts);
      const rows: LakeRow[] = [];
      for (const reading of readings) {
        const mapped = readingToRow(reading);
        if ('rejected' in mapped) throw new ValidationError('readings', mapped.rejected.reason);
        if (reading.via !== opts.via)
          throw new ValidationError('via', `reading came through ${JSON.stringify(reading.via)}, not ${opts.via}`);
        rows.push(mapped.row);
      }
      const merged = mergeRows('realtime', [], rows);
      await deps.objectStore.put(key, encodeRows('realtime', merged), PARQUET_CONTENT_TYPE);
      return { key, rows: merged.length };
    },

    /** The object key {@link writeEdgeBatch} writes for a batch (readings of one UTC date). */
    edgeBatchKey,
    /**
     * Every object of one realtime partition (date, origin) with its rows, the compacted day
     * object first, then by key (the order the query views and compaction prefer rows in).
     * With `range`, only objects holding a read in [fromMs, toMs] are read, and only those rows
     * are returned: each object's time range is remembered by key and ETag, so a batch posted
     * every 10 s reads the few objects its times overlap instead of the whole day (the cost of
     * the 360th batch of an hour stays that of the first).
     */
    async readPartition(
      date: string,
      origin: string,
      range?: { readonly fromMs: number; readonly toMs: number },
    ): Promise<{ key: string; rows: LakeRow[] }[]> {
      const listed = (await deps.objectStore.list(partitionPrefix(prefix, 'realtime', date, origin)))
        .filter((o) => parseObjectKey(o.key) !== undefined)
        .sort((a, b) => lakeObjectOrder(a.key, b.key));
      const out: { key: string; rows: LakeRow[] }[] = [];
      for (const o of listed) {
        const known = o.etag ? timeRanges.get(o.key) : undefined;
        if (range && known && known.etag === o.etag && (known.maxMs < range.fromMs || known.minMs > range.toMs)) {
          out.push({ key: o.key, rows: [] });
          continue;
        }
        const bytes = await deps.objectStore.get(o.key);
        if (!bytes) continue;
        const rows = decodeRows(bytes);
        if (o.etag) {
          let minMs = Number.POSITIVE_INFINITY;
          let maxMs = Number.NEGATIVE_INFINITY;
          for (const r of rows) {
            const t = r.time as number;
            if (t < minMs) minMs = t;
            if (t > maxMs) maxMs = t;
          }
          timeRanges.set(o.key, { etag: o.etag, minMs, maxMs });
        }
        out.push({
          key: o.key,
          rows: range
            ? rows.filter((r) => (r.time as number) >= range.fromMs && (r.time as number) <= range.toMs)
            : rows,
        });
      }
      return out;
    },

    /** Delete lake objects (an edge batch's own object that must not stay). */
    async deleteObjects(keys: readonly string[]): Promise<void> {
      await deps.objectStore.delete(keys);
    },
  };
}

export type EdgeBatchLake = ReturnType<typeof makeEdgeBatchLake>;

/**
 * The order in which objects of one partition win for a read held twice (one row per meter + time
 * + source): the compacted day object first, then by key. The query views
 * (adapters/duckdb-lake.ts, lib/constructs/readings-lake.ts) and compaction use the same order.
 */
export function lakeObjectOrder(a: string, b: string): number {
  const dayA = /\/day-s\d{2}\.parquet$/.test(a);
  const dayB = /\/day-s\d{2}\.parquet$/.test(b);
  if (dayA !== dayB) return dayA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The entry point for other writers (edge ingest): write readings of one origin.
 * `makeWriteReadings({ objectStore, clock })(readings, { via })`.
 */
export function makeWriteReadings(deps: LakeWriterDeps) {
  const writer = makeLakeWriter(deps);
  return (readings: readonly Reading[], opts: { readonly via: string }): Promise<WriteResult> =>
    writer.writeReadings(readings, opts);
}
