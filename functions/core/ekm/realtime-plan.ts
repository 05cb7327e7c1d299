import {
  type BoolColumn,
  COL,
  type ColumnBatchBuilder,
  compareRows,
  type FloatColumn,
  type TextColumn,
  textAt,
} from '../parquet/column-batch';
import type { MeterId } from '../readings/meter-id';
import type { RealtimeQuery } from './api-types';

/**
 * The pure steps of a realtime ingest run (use-cases/ingest-realtime.ts keeps only the
 * orchestration): which meters go together, which requests to send, where the ring lost reads,
 * and where each cursor may move once the lake holds the reads.
 */

/** EKM's 15-minute summary bucket (docs/ekm-push-apis.md, Summary API). */
export const SUMMARY_BUCKET_MS = 15 * 60_000;

/** A meter to ingest and the protocol its requests are sent with. */
export interface MeterToIngest {
  readonly meter: MeterId;
  readonly ver: 'v3' | 'v4';
}

/**
 * Split meters into chunks of at most `size`, ordered by shard and then id, so one chunk's reads
 * land in few objects. `shardOf` is the lake's meter shard (core/parquet/object-keys.ts).
 */
export function chunkMeters<T extends MeterToIngest>(
  meters: readonly T[],
  size: number,
  shardOf: (meter: string) => number,
): T[][] {
  const ordered = [...meters].sort(
    (a, b) => shardOf(a.meter) - shardOf(b.meter) || (a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0),
  );
  const chunks: T[][] = [];
  const step = Math.max(1, Math.floor(size));
  for (let i = 0; i < ordered.length; i += step) chunks.push(ordered.slice(i, i + step));
  return chunks;
}

/**
 * The Realtime requests of one chunk: per protocol, meters without a cursor ask for their whole
 * ring; meters whose cursors fall in the same 15-minute slot (after the overlap) share one
 * `sinceMs`, so a meter far behind does not make every other meter re-send its whole ring.
 * Requests come out v3 before v4, fresh before known, slots oldest first.
 */
export function planRealtimeRequests(
  chunk: readonly MeterToIngest[],
  cursors: ReadonlyMap<MeterId, number>,
  opts: { readonly overlapMs: number; readonly ringSize: number },
): RealtimeQuery[] {
  const out: RealtimeQuery[] = [];
  for (const ver of ['v3', 'v4'] as const) {
    const withVer = chunk.filter((m) => m.ver === ver).map((m) => m.meter);
    const fresh = withVer.filter((m) => !cursors.has(m));
    if (fresh.length > 0) out.push({ meters: fresh, ver, cnt: opts.ringSize });
    const bySlot = new Map<number, MeterId[]>();
    for (const m of withVer) {
      const cursor = cursors.get(m);
      if (cursor === undefined) continue;
      const slot = Math.floor((cursor - opts.overlapMs) / SUMMARY_BUCKET_MS);
      const list = bySlot.get(slot);
      if (list) list.push(m);
      else bySlot.set(slot, [m]);
    }
    for (const [, group] of [...bySlot.entries()].sort((a, b) => a[0] - b[0])) {
      // The oldest (cursor − overlap) of the group, not the slot's start: every minute asked
      // before it is a read downloaded again for nothing.
      let sinceMs = Number.POSITIVE_INFINITY;
      for (const m of group) sinceMs = Math.min(sinceMs, cursors.get(m)! - opts.overlapMs);
      out.push({ meters: group, ver, cnt: opts.ringSize, sinceMs });
    }
  }
  return out;
}

/** A window a meter's ring no longer holds, and the summary range that covers it. */
export interface RingGap {
  readonly meter: MeterId;
  /** The meter's cursor (newest read the lake held before the run). */
  readonly fromMs: number;
  /** The oldest read the ring still held. */
  readonly toMs: number;
  /** Summary request range: whole 15-minute buckets around (fromMs, toMs). */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Meters whose ring came back full (`count >= ringSize`, refused reads included) and whose oldest
 * held read is newer than their cursor: the reads in between are gone from EKM (an outage longer
 * than the ring). Meters without a cursor have nothing to heal.
 */
export function findRingGaps(
  held: ReadonlyMap<MeterId, { readonly count: number; readonly oldestMs: number }>,
  cursors: ReadonlyMap<MeterId, number>,
  ringSize: number,
): RingGap[] {
  const gaps: RingGap[] = [];
  for (const [meter, h] of held) {
    const cursor = cursors.get(meter);
    if (cursor === undefined || h.count < ringSize || h.oldestMs <= cursor) continue;
    gaps.push({
      meter,
      fromMs: cursor,
      toMs: h.oldestMs,
      startMs: Math.floor(cursor / SUMMARY_BUCKET_MS) * SUMMARY_BUCKET_MS,
      endMs: Math.ceil(h.oldestMs / SUMMARY_BUCKET_MS) * SUMMARY_BUCKET_MS,
    });
  }
  return gaps;
}

/**
 * Where cursors may move once every object of the chunk is durable: each meter of the chunk to its
 * newest held read, forward only. Meters outside the chunk never move.
 */
export function nextCursors(
  held: ReadonlyMap<MeterId, { readonly newestMs: number }>,
  cursors: ReadonlyMap<MeterId, number>,
  chunk: ReadonlySet<MeterId>,
): Map<MeterId, number> {
  const next = new Map<MeterId, number>();
  for (const [meter, h] of held) {
    if (!chunk.has(meter)) continue;
    if (Number.isFinite(h.newestMs) && h.newestMs > (cursors.get(meter) ?? Number.NEGATIVE_INFINITY))
      next.set(meter, h.newestMs);
  }
  return next;
}

/** Per meter: how many reads the ring held (and how many of them failed), the oldest and the newest. */
export class HeldReads {
  private readonly map = new Map<MeterId, { count: number; failed: number; oldestMs: number; newestMs: number }>();
  add(meter: MeterId, timeMs: number, failed = false): void {
    const h = this.map.get(meter);
    if (!h) this.map.set(meter, { count: 1, failed: failed ? 1 : 0, oldestMs: timeMs, newestMs: timeMs });
    else {
      h.count++;
      if (failed) h.failed++;
      if (timeMs < h.oldestMs) h.oldestMs = timeMs;
      if (timeMs > h.newestMs) h.newestMs = timeMs;
    }
  }
  get byMeter(): ReadonlyMap<
    MeterId,
    { readonly count: number; readonly failed: number; readonly oldestMs: number; readonly newestMs: number }
  > {
    return this.map;
  }
}

/**
 * Count the rows a columnar parse put into `builder` (core/ekm/realtime-columns.ts
 * `parseRealtimeInto`) into `held`, without a row object: reads, and failed reads (`good` false).
 * Rows the builder dropped as repeats are not counted.
 */
export function holdColumns(builder: ColumnBatchBuilder, held: HeldReads): { reads: number; failed: number } {
  const live = builder.liveRows();
  const view = builder.view();
  const meterCol = view.columns[COL.meter] as TextColumn;
  const times = (view.columns[COL.time] as FloatColumn).values;
  const good = view.columns[COL.good] as BoolColumn;
  let failed = 0;
  let meter = '' as MeterId;
  let last = -1;
  for (let k = 0; k < live.length; k++) {
    const i = live[k]!;
    // Reads come grouped by meter: decode the id once per run of equal meters.
    if (last < 0 || compareRows(meterCol, i, last) !== 0) meter = (textAt(meterCol, i) ?? '') as MeterId;
    last = i;
    const bad = (good.values[i >> 3]! & (1 << (i & 7))) === 0;
    held.add(meter, times[i]!, bad);
    if (bad) failed++;
  }
  return { reads: live.length, failed };
}

/**
 * Bytes one read costs while its chunk is in flight on the columnar path: the response text (~1.3 KB
 * per v4 read), its typed columns and Parquet pages, with headroom for the GC. Derived from the
 * README's lake benchmark (511 MB peak RSS for 200 meters × 1000 reads, 114 MB at start).
 */
export const BYTES_PER_READ_IN_FLIGHT = 2_500;
/** What a Node process holds before a chunk: runtime, AWS SDK, parquet-wasm (measured ~110 MB). */
export const BASE_PROCESS_MB = 128;

/**
 * Meters per chunk so that `inFlight` chunks of meters each returning `readsPerMeter` reads fit in
 * the memory budget: (budget − base process) / (inFlight × reads × bytes per read), at least 1, at
 * most `max`. Peak memory then depends on the chunk, not on the number of meters or the depth of a
 * backfill.
 */
export function metersPerChunkForMemory(memoryMb: number, readsPerMeter: number, max = 200, inFlight = 1): number {
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) return max;
  const spare = (memoryMb - BASE_PROCESS_MB) * 1024 * 1024;
  const perMeter = Math.max(1, readsPerMeter) * BYTES_PER_READ_IN_FLIGHT * Math.max(1, inFlight);
  return Math.max(1, Math.min(max, Math.floor(spare / perMeter)));
}

/**
 * Reads a meter with a cursor is asked for in the steady pass of a run (`cnt`). A run every few
 * minutes finds tens of new reads per meter (plus the overlap), so asking for this many instead of
 * the whole ring lets a chunk hold several times more meters in the same memory.
 */
export const STEADY_READS_PER_METER = 200;

/**
 * Meters whose steady-pass answer may have been cut at `cnt`: EKM answers with the newest `cnt`
 * reads, so a meter that came back with at least half of `cnt` (a margin for reads the parser
 * dropped as repeats) may hold older reads the answer left out. Those meters are asked again for
 * their whole ring in the deep pass, and their cursors do not move in the steady pass.
 */
export function possiblyCutMeters(held: ReadonlyMap<MeterId, { readonly count: number }>, cnt: number): Set<MeterId> {
  const cut = new Set<MeterId>();
  for (const [meter, h] of held) if (h.count * 2 >= cnt) cut.add(meter);
  return cut;
}
