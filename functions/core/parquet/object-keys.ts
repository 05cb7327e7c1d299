import { ValidationError } from '../errors';
import type { Dataset } from './lake-schema';

/**
 * Object keys of the lake. Hive-style partitions for Athena partition projection:
 *
 *   {prefix}dataset={realtime|summary|quarantine|intervals}/date=YYYY-MM-DD/origin={alias or gateway}/{file}
 *
 * The file name is a pure function of (dataset, origin, date, window, shard), so a re-run writes
 * the same key and replaces the object (merged with what it held) instead of adding a duplicate:
 * - `h{HH}-s{SS}.parquet`: one UTC hour window of one meter shard (what ingest writes);
 * - `day-s{SS}.parquet`: the whole UTC day of one shard (what compaction writes; `intervals` has
 *   one object per origin and day, `day-s00.parquet`, functions/use-cases/build-intervals.ts);
 * - `b-{32 hex}.parquet`: one edge batch, named by a hash of its batch id and content (what the
 *   edge ingest endpoint writes; shard 0). A retry of the batch replaces only its own object, and a
 *   late writer of one batch can never overwrite another batch's readings.
 * - `h{HH}-s{SS}-{32 hex}.parquet`: what one realtime ingest run wrote for one hour window and
 *   shard, named by a hash of its content. A write costs what it adds (the hour is never read back
 *   and rewritten), a retry of the same reads replaces its own object, and the query views keep one
 *   row per meter + time + source until compaction merges the window (use-cases/compact-lake.ts).
 * `origin` and not `via` names the partition because `via` is also a column inside the files and
 * engines disagree on a partition column that shadows a file column.
 */
export type LakeWindow =
  | { readonly kind: 'hour'; readonly hour: number }
  | { readonly kind: 'day' }
  | { readonly kind: 'batch'; readonly id: string }
  | { readonly kind: 'run'; readonly hour: number; readonly id: string };

export interface LakeObjectRef {
  readonly dataset: Dataset;
  /** Key alias (cloud ingest) or gateway id (edge): never a secret. */
  readonly origin: string;
  /** UTC date, YYYY-MM-DD. */
  readonly date: string;
  readonly window: LakeWindow;
  readonly shard: number;
}

const ORIGIN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const BATCH_OBJECT_ID = /^[0-9a-f]{32}$/;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Normalise a prefix to `''` or `a/b/`. */
export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return p === '' ? '' : `${p}/`;
}

/** UTC date (YYYY-MM-DD) of an epoch ms. */
export function utcDate(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/** Start of the UTC day of a YYYY-MM-DD date. */
export function dateStartMs(date: string): number {
  return Date.parse(`${date}T00:00:00.000Z`);
}

/** The hour window (date + hour) a read time falls in. */
export function hourWindowOf(timeMs: number): { date: string; window: LakeWindow } {
  return { date: utcDate(timeMs), window: { kind: 'hour', hour: Math.floor((timeMs % DAY) / HOUR) } };
}

/** Stable shard of a meter: FNV-1a of its id modulo `shards` (1 = no sharding). */
export function shardOf(meter: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < meter.length; i++) {
    h ^= meter.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

/** The object key of a lake object. Throws a ValidationError for an origin that is not a safe alias. */
export function objectKey(prefix: string, ref: LakeObjectRef): string {
  if (!ORIGIN.test(ref.origin))
    throw new ValidationError('origin', `${JSON.stringify(ref.origin)} is not a valid alias/gateway id (a-z, 0-9, -)`);
  if (!DATE.test(ref.date)) throw new ValidationError('date', `${JSON.stringify(ref.date)} is not YYYY-MM-DD`);
  const shard = String(ref.shard).padStart(2, '0');
  if ((ref.window.kind === 'batch' || ref.window.kind === 'run') && !BATCH_OBJECT_ID.test(ref.window.id))
    throw new ValidationError(ref.window.kind, `${JSON.stringify(ref.window.id)} is not 32 lowercase hex digits`);
  const file =
    ref.window.kind === 'hour'
      ? `h${String(ref.window.hour).padStart(2, '0')}-s${shard}.parquet`
      : ref.window.kind === 'run'
        ? `h${String(ref.window.hour).padStart(2, '0')}-s${shard}-${ref.window.id}.parquet`
        : ref.window.kind === 'batch'
          ? `b-${ref.window.id}.parquet`
          : `day-s${shard}.parquet`;
  return `${normalizePrefix(prefix)}dataset=${ref.dataset}/date=${ref.date}/origin=${ref.origin}/${file}`;
}

/** The folder holding one (dataset, date, origin) partition. */
export function partitionPrefix(prefix: string, dataset: Dataset, date: string, origin: string): string {
  return `${normalizePrefix(prefix)}dataset=${dataset}/date=${date}/origin=${origin}/`;
}

const KEY =
  /(?:^|\/)dataset=(realtime|summary|quarantine|intervals)\/date=(\d{4}-\d{2}-\d{2})\/origin=([a-z0-9-]+)\/(?:(?:h(\d{2})|day)-s(\d{2})(?:-([0-9a-f]{32}))?|b-([0-9a-f]{32}))\.parquet$/;

/** Parse a lake object key back into its parts, or undefined for a key that is not a lake object. */
export function parseObjectKey(key: string): LakeObjectRef | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  // A day object carries no run id (`day-s00-{hex}` is not a lake object).
  if (m[4] === undefined && m[6] !== undefined) return undefined;
  return {
    dataset: m[1] as Dataset,
    date: m[2]!,
    origin: m[3]!,
    window:
      m[7] !== undefined
        ? { kind: 'batch', id: m[7] }
        : m[4] === undefined
          ? { kind: 'day' }
          : m[6] !== undefined
            ? { kind: 'run', hour: Number(m[4]), id: m[6] }
            : { kind: 'hour', hour: Number(m[4]) },
    shard: m[7] !== undefined ? 0 : Number(m[5]),
  };
}
