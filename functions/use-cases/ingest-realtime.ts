/**
 * Ingest realtime reads of one EKM key into the lake, with no gaps and no duplicates.
 *
 * Input: the resolved key (alias + secret), optionally an explicit meter list (otherwise the
 * Account API discovers the key's meters). Output: counts, object keys, gaps found and healed.
 *
 * 1. Take the `ingest-realtime#{alias}` lease (the lake writer merges read-modify-write, so one
 *    writer per origin at a time; compaction takes the same lease). The lease is short and renewed
 *    while the run works (run-lease.ts); runs left `running` by a dead holder are marked failed.
 * 2. Discover meters; split them by shard (the object key's meter shard) and then into chunks.
 * 3. Per chunk: read cursors; ask the Realtime API for up to 1000 reads per meter newer than
 *    (oldest cursor − overlap). The overlap re-asks a few minutes so reads that arrive late or out
 *    of order are not skipped; the merge makes re-delivered reads harmless.
 * 4. Gap healing: a meter whose 1000-read ring came back full and whose oldest held read is newer
 *    than its cursor lost reads in between: fetch 15-minute summaries for that window and write
 *    them as `source = summary` readings; record the gap.
 * 5. Write everything (lake writer: one object per hour window and shard per write, quarantine
 *    malformed reads; with a realtime port that has `readInto` and a lake writer with `writeColumns`
 *    the bodies go straight into typed columns, no object per read; reads the
 *    parser refused go to the `quarantine` dataset too, with their reason and raw JSON), and only
 *    after every object is durably written move each meter's cursor to its newest realtime read,
 *    quarantined ones included (forward-only; they are recorded, so passing them loses nothing). A crash before this step leaves cursors behind; the re-run rewrites the same
 *    objects with the same reads merged once.
 * 6. Record the run (and release the lease even on failure).
 */

import { randomUUID } from 'node:crypto';
import {
  chunkMeters,
  findRingGaps,
  HeldReads,
  holdColumns,
  nextCursors,
  planRealtimeRequests,
} from '../core/ekm/realtime-plan';
import { asError, logBestEffortFailure } from '../core/errors';
import { leaseName } from '../core/leases';
import { ColumnBatchBuilder } from '../core/parquet/column-batch';
import { shardOf } from '../core/parquet/object-keys';
import { appendReading } from '../core/parquet/reading-columns';
import { bucketToGapReading, type Rejected } from '../core/parquet/rows';
import type { MeterId } from '../core/readings/meter-id';
import type { Reading } from '../core/readings/reading';
import type { Clock } from '../ports/clock';
import type {
  AccountApi,
  EkmKey,
  ParsedReadResponse,
  RealtimeApi,
  RealtimeQuery,
  RealtimeRejection,
  SummaryApi,
} from '../ports/ekm-api';
import type { GapRecord, IngestState } from '../ports/ingest-state';
import { RUN_LEASE_TTL_MS, takeRunLease } from './run-lease';
import {
  type ColumnarLakeWriter,
  type LakeWriter,
  makeQuarantineWriter,
  type QuarantineWriter,
  type WriteResult,
} from './write-readings';

/** The one quarantine writer lives with the lake writer; re-exported for the wiring that builds ingest. */
export { makeQuarantineWriter, type QuarantineWriter };

export interface IngestRealtimeDeps {
  readonly account: AccountApi;
  readonly realtime: RealtimeApi;
  readonly summary: SummaryApi;
  /**
   * With `writeColumns` (and a realtime port with `readInto` and a quarantine writer), reads go from
   * the response bodies straight into typed columns and the lake (no object per read).
   */
  readonly lake: LakeWriter & Partial<Pick<ColumnarLakeWriter, 'writeColumns'>>;
  /**
   * Where reads the Realtime parser refused go (see {@link makeQuarantineWriter}). Without it (or
   * when the realtime port has no `readWithRejections`) a malformed read fails the run, as `read` does.
   */
  readonly quarantine?: QuarantineWriter;
  readonly state: IngestState;
  readonly clock: Clock;
  /** Same value the lake writer was built with (default 1). */
  readonly shards?: number;
  /** Meters per Realtime request group (default 200); the client batches further by its own size. */
  readonly chunkMeters?: number;
  /** How far behind the cursor to re-ask (default 10 min). */
  readonly overlapMs?: number;
  /** Reads the Realtime API holds per meter (default 1000, EKM's ring). */
  readonly ringSize?: number;
  /** Run lease length; renewed every third of it while the run works (run-lease.ts). @default 60 000 */
  readonly lockTtlMs?: number;
  /** @default lockTtlMs / 3 */
  readonly lockRenewEveryMs?: number;
  readonly newRunId?: () => string;
}

export interface IngestRealtimeInput {
  readonly key: EkmKey;
  /** Meters to ingest; default: every meter the Account API lists for the key. */
  readonly meters?: readonly MeterId[];
  /** Progress after each chunk (meters done / total). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface IngestRealtimeResult {
  readonly runId: string;
  readonly alias: string;
  readonly meters: number;
  readonly reads: number;
  readonly failedReads: number;
  readonly quarantined: number;
  readonly objects: number;
  readonly gaps: readonly GapRecord[];
  readonly gapFillReadings: number;
  readonly keys: readonly string[];
}

export function makeIngestRealtime(deps: IngestRealtimeDeps) {
  const shards = deps.shards ?? 1;
  const metersPerChunk = deps.chunkMeters ?? 200;
  const columnar =
    deps.quarantine !== undefined && deps.realtime.readInto !== undefined && deps.lake.writeColumns !== undefined;
  const overlapMs = deps.overlapMs ?? 10 * 60_000;
  const ringSize = deps.ringSize ?? 1000;
  const lockTtlMs = deps.lockTtlMs ?? RUN_LEASE_TTL_MS;
  const newRunId = deps.newRunId ?? randomUUID;

  async function discover(key: EkmKey, explicit?: readonly MeterId[]) {
    const listed = await deps.account.meters(key);
    const protocol = new Map(listed.map((m) => [m.meter, m.protocol]));
    const ids = [...new Set(explicit ?? listed.map((m) => m.meter))].sort();
    return ids.map((meter) => ({ meter, ver: protocol.get(meter) === 'v3' ? ('v3' as const) : ('v4' as const) }));
  }

  async function fetchReads(key: EkmKey, query: RealtimeQuery): Promise<ParsedReadResponse> {
    if (deps.quarantine && deps.realtime.readWithRejections) return deps.realtime.readWithRejections(key, query);
    return { readings: await deps.realtime.read(key, query), rejected: [] };
  }

  async function healGaps(key: EkmKey, runId: string, held: HeldReads, cursors: Map<MeterId, number>) {
    const gaps: GapRecord[] = [];
    const fills: Reading[] = [];
    // core/ekm/realtime-plan.ts: a full ring that starts after the cursor lost the reads in between.
    for (const gap of findRingGaps(held.byMeter, cursors, ringSize)) {
      const { meter, fromMs: cursor, toMs: oldest, startMs, endMs } = gap;
      const buckets = await deps.summary.read(key, { meters: [meter], report: '15', startMs, endMs });
      const inGap = buckets.filter((b) => b.meter === meter && b.startMs > cursor && b.startMs < oldest);
      fills.push(...inGap.map((b) => bucketToGapReading(b, key.alias)));
      gaps.push({ alias: key.alias, meter, fromMs: cursor, toMs: oldest, filledBuckets: inGap.length, runId });
    }
    return { gaps, fills };
  }

  return async function ingestRealtime(input: IngestRealtimeInput): Promise<IngestRealtimeResult> {
    const { key } = input;
    const runId = newRunId();
    const lock = leaseName('ingest-realtime', key.alias);
    const startedAtMs = deps.clock.now();
    const lease = await takeRunLease({
      state: deps.state,
      clock: deps.clock,
      name: lock,
      owner: runId,
      ttlMs: lockTtlMs,
      ...(deps.lockRenewEveryMs ? { renewEveryMs: deps.lockRenewEveryMs } : {}),
      what: `another realtime ingest or compaction of "${key.alias}"`,
      alias: key.alias,
      staleRuns: { job: 'ingest-realtime', alias: key.alias },
    });
    await deps.state.putRun({ runId, job: 'ingest-realtime', alias: key.alias, startedAtMs, status: 'running' });
    const totals = { reads: 0, failedReads: 0, quarantined: 0, gapFillReadings: 0 };
    const keys = new Set<string>();
    const gaps: GapRecord[] = [];
    let meterCount = 0;
    try {
      const meters = await discover(key, input.meters);
      meterCount = meters.length;
      // Shard first so one chunk's reads land in few objects, then chunk (core/ekm/realtime-plan.ts).
      const chunks = chunkMeters(meters, metersPerChunk, (m) => shardOf(m, shards));
      let done = 0;
      for (const chunk of chunks) {
        const ids = chunk.map((m) => m.meter);
        const cursors = await deps.state.getCursors('realtime', key.alias, ids);
        const reads: Reading[] = [];
        const refused: RealtimeRejection[] = [];
        // A loop, not push(...list): a chunk of fresh meters returns up to 200 × 1000 reads, more
        // than V8 accepts as call arguments (RangeError: Maximum call stack size exceeded).
        const take = (res: ParsedReadResponse) => {
          for (const r of res.readings) reads.push(r);
          for (const r of res.rejected) refused.push(r);
        };
        // The columnar path (core/ekm/realtime-columns.ts): bodies parsed into one builder per chunk.
        const builder = columnar ? new ColumnBatchBuilder() : undefined;
        const lakeRefused: Rejected[] = [];
        for (const query of planRealtimeRequests(chunk, cursors, { overlapMs, ringSize })) {
          if (!builder) {
            take(await fetchReads(key, query));
            continue;
          }
          const res = await deps.realtime.readInto!(key, query, builder);
          for (const r of res.rejected) refused.push(r);
          for (const r of res.lakeRejected) lakeRefused.push(r);
        }
        // What the ring held per meter, refused reads included (they count towards a full ring).
        const held = new HeldReads();
        let readCount = reads.length;
        let failedCount = 0;
        if (builder) {
          const counted = holdColumns(builder, held);
          // Reads the lake refused are reads too (quarantined by the writer, as on the row path).
          for (const r of lakeRefused) if (r.meter && r.timeMs !== undefined) held.add(r.meter as MeterId, r.timeMs);
          readCount = counted.reads + lakeRefused.length;
          failedCount = counted.failed;
        } else {
          for (const r of reads) {
            held.add(r.meter, r.timeMs);
            if (!r.good) failedCount++;
          }
        }
        // A refused read at or before its meter's cursor was quarantined by the run that moved the
        // cursor past it (the overlap re-asks it): skip it so a re-run adds nothing.
        const fresh: Rejected[] = [];
        for (const r of refused) {
          if (r.timeMs !== undefined) {
            held.add(r.meter, r.timeMs);
            if (r.timeMs <= (cursors.get(r.meter) ?? Number.NEGATIVE_INFINITY)) continue;
          }
          fresh.push({
            reason: r.reason,
            meter: r.meter,
            ...(r.timeMs !== undefined ? { timeMs: r.timeMs } : {}),
            source: 'realtime',
            via: key.alias,
            raw: JSON.stringify(r.raw),
          });
        }
        const healed = await healGaps(key, runId, held, cursors);
        lease.assertHeld();
        let written: WriteResult;
        if (builder) {
          for (const fill of healed.fills) {
            const refusedFill = appendReading(builder, fill);
            if (refusedFill) lakeRefused.push(refusedFill);
          }
          written = await deps.lake.writeColumns!(builder, { via: key.alias, rejected: lakeRefused });
        } else written = await deps.lake.writeReadings([...reads, ...healed.fills], { via: key.alias });
        const quarantineKeys = fresh.length > 0 && deps.quarantine ? await deps.quarantine(fresh, key.alias) : [];
        // Durable now: move cursors to the newest realtime read per meter (not to gap fills).
        // Malformed reads are in quarantine (kept, with their reason), so a cursor may pass them;
        // reads for meters outside this chunk never move a cursor.
        const next = nextCursors(held.byMeter, cursors, new Set(ids));
        lease.assertHeld();
        await deps.state.advanceCursors('realtime', key.alias, next, runId);
        for (const g of healed.gaps) await deps.state.recordGap(g);
        gaps.push(...healed.gaps);
        for (const k of [...written.keys, ...quarantineKeys]) keys.add(k);
        totals.reads += readCount;
        totals.failedReads += failedCount;
        totals.quarantined += written.rejected.length + fresh.length;
        totals.gapFillReadings += healed.fills.length;
        done += chunk.length;
        input.onProgress?.(done, meters.length);
      }
      const result: IngestRealtimeResult = {
        runId,
        alias: key.alias,
        meters: meterCount,
        ...totals,
        objects: keys.size,
        gaps,
        keys: [...keys].sort(),
      };
      await deps.state.putRun({
        runId,
        job: 'ingest-realtime',
        alias: key.alias,
        startedAtMs,
        finishedAtMs: deps.clock.now(),
        status: 'ok',
        summary: { meters: meterCount, ...totals, objects: keys.size, gaps: gaps.length },
      });
      return result;
    } catch (error) {
      await deps.state
        .putRun({
          runId,
          job: 'ingest-realtime',
          alias: key.alias,
          startedAtMs,
          finishedAtMs: deps.clock.now(),
          status: 'failed',
          summary: { meters: meterCount, ...totals, error: asError(error).message.slice(0, 500) },
        })
        .catch((failure: unknown) => logBestEffortFailure(`record failed run ${runId}`, failure));
      throw error;
    } finally {
      await lease.release();
    }
  };
}
