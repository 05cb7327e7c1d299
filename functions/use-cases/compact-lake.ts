/**
 * Daily compaction: merge a finished UTC day's hourly objects into one object per shard.
 *
 * Input: origins (key aliases / gateway ids) or all; optional `date` (default: every day before
 * today that still has hourly objects). Output: the days compacted, objects merged and written.
 *
 * 1. Per origin, take the leases of its writers (realtime ingest, edge ingest): all of them
 *    read-modify-write the same objects. They are renewed while compaction works (run-lease.ts).
 * 2. List `dataset=realtime/date=*\/origin=...`; group hourly objects by (date, shard).
 * 3. Per group: read the day object (if any), every hourly object and every edge batch object
 *    (`b-*.parquet`, shard 0), merge (one row per meter + time + source; for a read held twice the
 *    row of the earlier object in `lakeObjectOrder` wins, the day object first, as in the query
 *    views; merged on typed columns in one pass), write `day-sNN.parquet`, then delete the merged objects. A crash after the write and
 *    before the delete is harmless: the views de-duplicate, and the re-run merges the same rows
 *    again and deletes then.
 */

import { randomUUID } from 'node:crypto';
import { type LeaseName, leaseName, parseLeaseName, realtimeLeases } from '../core/leases';
import { ColumnBatchBuilder, mergeOrder } from '../core/parquet/column-batch';
import { decodeColumnsInto, encodeColumnsStreaming } from '../core/parquet/encode-columns';
import { normalizePrefix, objectKey, parseObjectKey, utcDate } from '../core/parquet/object-keys';
import type { Clock } from '../ports/clock';
import type { IngestState } from '../ports/ingest-state';
import type { ObjectStore } from '../ports/object-store';
import { makeBuildIntervals } from './build-intervals';
import { RUN_LEASE_TTL_MS, type RunLease, takeRunLease } from './run-lease';
import { lakeObjectOrder, PARQUET_CONTENT_TYPE } from './write-readings';

export interface CompactLakeDeps {
  readonly objectStore: ObjectStore;
  readonly prefix?: string;
  readonly state: IngestState;
  readonly clock: Clock;
  readonly lockTtlMs?: number;
  readonly newRunId?: () => string;
  /** Also (re)build the `intervals` object of every day compacted (build-intervals.ts). @default true */
  readonly intervals?: boolean;
  /** Parts a key alias's realtime ingest is split into (its `realtimeShards`); their leases are taken too. @default 1 */
  readonly realtimeShards?: (origin: string) => number;
}

export interface CompactLakeInput {
  /** Origins to compact; default: every origin found in the lake. */
  readonly origins?: readonly string[];
  /** Only this UTC date (YYYY-MM-DD); default: every day before today. */
  readonly date?: string;
}

export interface CompactLakeResult {
  readonly days: { origin: string; date: string; shard: number; inputs: number; rows: number; key: string }[];
}

/**
 * The leases of every writer that read-modify-writes an origin's realtime objects: cloud realtime
 * ingest (key aliases; each part's when the key's ingest is split into `realtimeShards` parts) and
 * the edge ingest endpoint (gateway ids). Compaction holds them all.
 */
export function writerLeases(origin: string, realtimeShards = 1): LeaseName[] {
  return [...realtimeLeases(origin, realtimeShards), leaseName('edge-ingest', origin)];
}

export function makeCompactLake(deps: CompactLakeDeps) {
  const prefix = normalizePrefix(deps.prefix);
  const lockTtlMs = deps.lockTtlMs ?? RUN_LEASE_TTL_MS;
  const newRunId = deps.newRunId ?? randomUUID;
  const buildIntervals =
    deps.intervals === false ? undefined : makeBuildIntervals({ objectStore: deps.objectStore, prefix });

  return async function compactLake(input: CompactLakeInput = {}): Promise<CompactLakeResult> {
    const today = utcDate(deps.clock.now());
    const listed = await deps.objectStore.list(`${prefix}dataset=realtime/`);
    const refs = listed.map((o) => ({ key: o.key, ref: parseObjectKey(o.key) })).filter((o) => o.ref !== undefined);
    const origins = input.origins ?? [...new Set(refs.map((o) => o.ref!.origin))].sort();
    const days: CompactLakeResult['days'] = [];
    for (const origin of origins) {
      const runId = newRunId();
      // Short leases renewed while compaction works (run-lease.ts); a dead ingest's lapsed lease is
      // taken over and its run marked failed.
      const held: RunLease[] = [];
      const locks = writerLeases(origin, deps.realtimeShards?.(origin) ?? 1);
      // Runs of the origin still `running` are dead only once every realtime lease (each part's
      // too) is held: mark them at the last one.
      const lastRealtime = locks.filter((l) => parseLeaseName(l)?.job === 'ingest-realtime').at(-1);
      for (const lock of locks) {
        try {
          held.push(
            await takeRunLease({
              state: deps.state,
              clock: deps.clock,
              name: lock,
              owner: runId,
              ttlMs: lockTtlMs,
              what: `an ingest of "${origin}" (lease ${lock})`,
              ...(parseLeaseName(lock)?.job === 'ingest-realtime' ? { alias: origin } : {}),
              ...(lock === lastRealtime ? { staleRuns: { job: 'ingest-realtime' as const, alias: origin } } : {}),
            }),
          );
        } catch (error) {
          for (const h of held) await h.release();
          throw error;
        }
      }
      const assertHeld = () => {
        for (const h of held) h.assertHeld();
      };
      try {
        const groups = new Map<string, { date: string; shard: number; hours: string[]; day?: string }>();
        for (const { key, ref } of refs) {
          if (!ref || ref.origin !== origin) continue;
          if (input.date ? ref.date !== input.date : ref.date >= today) continue;
          const id = `${ref.date}#${ref.shard}`;
          const group = groups.get(id) ?? { date: ref.date, shard: ref.shard, hours: [] };
          if (ref.window.kind === 'day') group.day = key;
          else group.hours.push(key);
          groups.set(id, group);
        }
        for (const group of [...groups.values()].sort((a, b) => (a.date < b.date ? -1 : 1))) {
          if (group.hours.length === 0) continue;
          const inputs = [...(group.day ? [group.day] : []), ...group.hours].sort(lakeObjectOrder);
          // On columns, one pass: every input decoded into one builder, then one merge. The row added
          // last wins a repeated meter + time + source, so inputs go in last to first: the earlier
          // object's row wins, as in the query views. Time and memory grow with the day's rows, not
          // with rows × objects (a day of one-minute runs is 1,440 objects).
          const builder = new ColumnBatchBuilder();
          for (const key of [...inputs].reverse()) {
            const bytes = await deps.objectStore.get(key);
            if (bytes) decodeColumnsInto(bytes, builder);
          }
          const order = mergeOrder(builder);
          const body = await encodeColumnsStreaming(builder.finish(order));
          const dayKey = objectKey(prefix, {
            dataset: 'realtime',
            origin,
            date: group.date,
            window: { kind: 'day' },
            shard: group.shard,
          });
          assertHeld();
          await deps.objectStore.put(dayKey, body, PARQUET_CONTENT_TYPE);
          await deps.objectStore.delete(group.hours);
          days.push({
            origin,
            date: group.date,
            shard: group.shard,
            inputs: inputs.length,
            rows: order.length,
            key: dayKey,
          });
        }
        if (buildIntervals) {
          // Each compacted day (and a day asked for by name) gets its derived intervals, under the same leases.
          const dates = new Set(days.filter((d) => d.origin === origin).map((d) => d.date));
          if (input.date) dates.add(input.date);
          for (const date of [...dates].sort()) {
            assertHeld();
            await buildIntervals({ origin, date });
          }
        }
      } finally {
        for (const h of held) await h.release();
      }
    }
    return { days };
  };
}
