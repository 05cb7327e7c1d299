/**
 * Ingest realtime reads of one EKM key into the lake, with no gaps and no duplicates.
 *
 * Input: the resolved key (alias + secret), optionally an explicit meter list (otherwise the
 * Account API discovers the key's meters). Output: counts, object keys, gaps found and healed.
 *
 * 1. Take the `ingest-realtime#{alias}` lease (the lake writer merges read-modify-write, so one
 *    writer per origin at a time; compaction takes the same lease). The lease is short and renewed
 *    while the run works (run-lease.ts); runs left `running` by a dead holder are marked failed.
 * 2. Discover meters and read every cursor once. Meters with a cursor go to the steady pass, asked
 *    for at most 200 reads each (a run every few minutes finds tens); meters without one, and
 *    steady meters whose answer may have been cut at that count, go to the deep pass, asked for
 *    their whole ring. Each pass splits its meters by shard (the object key's meter shard) and then
 *    into chunks sized from the memory budget (core/ekm/realtime-plan.ts).
 * 3. Per chunk: ask the Realtime API for reads per meter newer than (oldest cursor − overlap). The
 *    overlap re-asks a few minutes so reads that arrive late or out of order are not skipped;
 *    re-delivered reads are harmless (queries keep one row per meter + time + source). While one
 *    chunk is written, the next is fetched: two chunks at most are in memory.
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
 *    A steady meter whose answer may have been cut keeps its cursor until the deep pass.
 * 6. Record the run (and release the lease even on failure).
 */

import { randomUUID } from 'node:crypto';
import { pipelined } from '../core/concurrency';
import { CURSOR_PAGES, cursorPageOf } from '../core/ekm/cursor-pages';
import { type ChunkTally, tallyChunk } from '../core/ekm/realtime-chunk';
import {
  chunkMeters,
  findRingGaps,
  type HeldReads,
  type MeterToIngest,
  metersPerChunkForMemory,
  nextCursors,
  planRealtimeRequests,
  STEADY_READS_PER_METER,
} from '../core/ekm/realtime-plan';
import { asError, logBestEffortFailure } from '../core/errors';
import { leaseName, realtimePartLabel, realtimeShardSubject } from '../core/leases';
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
  /**
   * Meters per chunk, both passes (default: sized from `memoryMb`); the client batches further by
   * its own size.
   */
  readonly chunkMeters?: number;
  /**
   * Memory budget of the process in MB: sizes the chunks so two in flight (one fetched, one written)
   * fit (core/ekm/realtime-plan.ts). @default 1024
   */
  readonly memoryMb?: number;
  /** Reads asked per meter in the steady pass (meters with a cursor). @default 200 */
  readonly steadyReads?: number;
  /** How far behind the cursor to re-ask (default 10 min). */
  readonly overlapMs?: number;
  /** Reads the Realtime API holds per meter (default 1000, EKM's ring). */
  readonly ringSize?: number;
  /** Run lease length; renewed every third of it while the run works (run-lease.ts). @default 60 000 */
  readonly lockTtlMs?: number;
  /** @default lockTtlMs / 3 */
  readonly lockRenewEveryMs?: number;
  readonly newRunId?: () => string;
  /**
   * Parts a key's realtime ingest is split into (its `realtimeShards`). A run of a split key without
   * a part runs each part in turn under that part's lease, so it never writes beside a part running
   * at once from the queue. @default 1 for every key
   */
  readonly realtimeShards?: (alias: string) => number;
}

export interface IngestRealtimeInput {
  readonly key: EkmKey;
  /** Meters to ingest; default: every meter the Account API lists for the key. */
  readonly meters?: readonly MeterId[];
  /**
   * Only the meters whose lake shard for `count` shards is `index` (one part of a key split for the
   * fan-out), under the part's own lease (core/leases.ts realtimeShardSubject). @default every meter
   */
  readonly shard?: { readonly index: number; readonly count: number };
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

/** One chunk's Realtime answers, between fetching and writing (core/ekm/realtime-chunk.ts). */
interface FetchedChunk extends ChunkTally {
  readonly ids: readonly MeterId[];
  /** Cursors of the chunk's meters before the run. */
  readonly cursors: ReadonlyMap<MeterId, number>;
  /** Columnar path only: the reads as typed columns. */
  readonly builder: ColumnBatchBuilder | undefined;
}

export function makeIngestRealtime(deps: IngestRealtimeDeps) {
  const shards = deps.shards ?? 1;
  const memoryMb = deps.memoryMb ?? 1024;
  const steadyReads = deps.steadyReads ?? STEADY_READS_PER_METER;
  const columnar =
    deps.quarantine !== undefined && deps.realtime.readInto !== undefined && deps.lake.writeColumns !== undefined;
  const overlapMs = deps.overlapMs ?? 10 * 60_000;
  const ringSize = deps.ringSize ?? 1000;
  // Two chunks in flight: one being fetched while the one before is written.
  const deepChunk = deps.chunkMeters ?? metersPerChunkForMemory(memoryMb, ringSize, 200, 2);
  const steadyChunk = deps.chunkMeters ?? metersPerChunkForMemory(memoryMb, steadyReads, 2000, 2);
  const lockTtlMs = deps.lockTtlMs ?? RUN_LEASE_TTL_MS;
  const newRunId = deps.newRunId ?? randomUUID;

  /** The meters to ingest and their protocols (`listed`: the Account API's list, when a caller has it). */
  async function discover(
    key: EkmKey,
    explicit?: readonly MeterId[],
    listedBefore?: Awaited<ReturnType<AccountApi['meters']>>,
  ) {
    const listed = listedBefore ?? (await deps.account.meters(key));
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

  async function ingestRealtime(input: IngestRealtimeInput): Promise<IngestRealtimeResult> {
    const count = input.shard ? 1 : (deps.realtimeShards?.(input.key.alias) ?? 1);
    if (count > 1) {
      // One Account API call for every part.
      const listed = await deps.account.meters(input.key);
      const parts: IngestRealtimeResult[] = [];
      for (let index = 0; index < count; index++)
        parts.push(await ingestPart({ ...input, shard: { index, count } }, listed));
      return mergeParts(parts);
    }
    return ingestPart(input);
  }
  return ingestRealtime;

  async function ingestPart(
    input: IngestRealtimeInput,
    listed?: Awaited<ReturnType<AccountApi['meters']>>,
  ): Promise<IngestRealtimeResult> {
    const { key } = input;
    const runId = newRunId();
    const part = input.shard;
    const partLabel = part ? realtimePartLabel(part.index, part.count) : undefined;
    const lock = leaseName(
      'ingest-realtime',
      part ? realtimeShardSubject(key.alias, part.index, part.count) : key.alias,
    );
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
      // Parts of one key run at once: a part marks only its own part's dead runs.
      staleRuns: { job: 'ingest-realtime' as const, alias: key.alias, ...(partLabel ? { part: partLabel } : {}) },
    });
    const tag: Record<string, string> = partLabel ? { part: partLabel } : {};
    await deps.state.putRun({
      runId,
      job: 'ingest-realtime',
      alias: key.alias,
      startedAtMs,
      status: 'running',
      ...(partLabel ? { summary: tag } : {}),
    });
    const totals = { reads: 0, failedReads: 0, quarantined: 0, gapFillReadings: 0 };
    const keys = new Set<string>();
    const gaps: GapRecord[] = [];
    let meterCount = 0;
    /** One chunk's Realtime answers: what its meters' rings held and the reads to write. */
    async function fetchChunk(
      chunk: readonly MeterToIngest[],
      cursorsOfAll: ReadonlyMap<MeterId, number>,
      cnt: number,
      checkCut: boolean,
    ): Promise<FetchedChunk> {
      const ids = chunk.map((m) => m.meter);
      const cursors = new Map<MeterId, number>();
      for (const id of ids) {
        const c = cursorsOfAll.get(id);
        if (c !== undefined) cursors.set(id, c);
      }
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
      for (const query of planRealtimeRequests(chunk, cursors, { overlapMs, ringSize: cnt })) {
        if (!builder) {
          take(await fetchReads(key, query));
          continue;
        }
        const res = await deps.realtime.readInto!(key, query, builder);
        for (const r of res.rejected) refused.push(r);
        for (const r of res.lakeRejected) lakeRefused.push(r);
      }
      const tally = tallyChunk({ cursors, reads, builder, refused, lakeRefused, alias: key.alias, cnt, checkCut });
      return { ids, cursors, builder, ...tally };
    }

    /** Heal, write, then move the cursors of one fetched chunk (never those of cut meters). */
    async function writeChunk(f: FetchedChunk, total: number): Promise<void> {
      // Cut meters are asked again for their whole ring; healing waits for that answer.
      const healCursors = new Map([...f.cursors].filter(([m]) => !f.cut.has(m)));
      const healed = await healGaps(key, runId, f.held, healCursors);
      lease.assertHeld();
      let written: WriteResult;
      if (f.builder) {
        for (const fill of healed.fills) {
          const refusedFill = appendReading(f.builder, fill);
          if (refusedFill) f.lakeRefused.push(refusedFill);
        }
        written = await deps.lake.writeColumns!(f.builder, { via: key.alias, rejected: f.lakeRefused });
      } else written = await deps.lake.writeReadings([...f.reads, ...healed.fills], { via: key.alias });
      const quarantineKeys = f.fresh.length > 0 && deps.quarantine ? await deps.quarantine(f.fresh, key.alias) : [];
      // Durable now: move cursors to the newest realtime read per meter (not to gap fills).
      // Malformed reads are in quarantine (kept, with their reason), so a cursor may pass them;
      // reads for meters outside this chunk, or cut meters, never move a cursor.
      const moving = new Set(f.ids.filter((m) => !f.cut.has(m)));
      const next = nextCursors(f.held.byMeter, f.cursors, moving);
      lease.assertHeld();
      await deps.state.advanceCursors('realtime', key.alias, next, runId);
      for (const g of healed.gaps) await deps.state.recordGap(g);
      gaps.push(...healed.gaps);
      for (const k of [...written.keys, ...quarantineKeys]) keys.add(k);
      totals.reads += f.readCount;
      totals.failedReads += f.failedCount;
      totals.quarantined += written.rejected.length + f.fresh.length;
      totals.gapFillReadings += healed.fills.length;
      done += moving.size;
      input.onProgress?.(done, total);
    }

    let done = 0;
    try {
      const meters = (await discover(key, input.meters, listed)).filter(
        (m) => !part || shardOf(m.meter, part.count) === part.index,
      );
      meterCount = meters.length;
      const cursors = await deps.state.getCursors(
        'realtime',
        key.alias,
        meters.map((m) => m.meter),
      );
      // Steady pass: meters with a cursor, few reads each; deep pass: the rest and any cut answer.
      const deep = meters.filter((m) => !cursors.has(m.meter));
      const steady = meters.filter((m) => cursors.has(m.meter));
      // Lake shard first (one chunk's reads land in few objects), then cursor page (each page of
      // cursors is written about once per run: core/ekm/cursor-pages.ts).
      const byShard = (m: string) => shardOf(m, shards) * CURSOR_PAGES + cursorPageOf(m);
      await pipelined(
        chunkMeters(steady, steadyChunk, byShard),
        (chunk) => fetchChunk(chunk, cursors, Math.min(steadyReads, ringSize), steadyReads < ringSize),
        async (fetched, chunk) => {
          for (const m of chunk) if (fetched.cut.has(m.meter)) deep.push(m);
          await writeChunk(fetched, meters.length);
        },
      );
      await pipelined(
        chunkMeters(deep, deepChunk, byShard),
        (chunk) => fetchChunk(chunk, cursors, ringSize, false),
        (fetched) => writeChunk(fetched, meters.length),
      );
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
        summary: { ...tag, meters: meterCount, ...totals, objects: keys.size, gaps: gaps.length },
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
          summary: { ...tag, meters: meterCount, ...totals, error: asError(error).message.slice(0, 500) },
        })
        .catch((failure: unknown) => logBestEffortFailure(`record failed run ${runId}`, failure));
      throw error;
    } finally {
      await lease.release();
    }
  }
}

/** One result for the parts of a split key run in turn (their run ids joined). */
function mergeParts(parts: readonly IngestRealtimeResult[]): IngestRealtimeResult {
  const keys = [...new Set(parts.flatMap((p) => p.keys))].sort();
  const sum = (pick: (p: IngestRealtimeResult) => number) => parts.reduce((n, p) => n + pick(p), 0);
  return {
    runId: parts.map((p) => p.runId).join(','),
    alias: parts[0]?.alias ?? '',
    meters: sum((p) => p.meters),
    reads: sum((p) => p.reads),
    failedReads: sum((p) => p.failedReads),
    quarantined: sum((p) => p.quarantined),
    objects: keys.length,
    gaps: parts.flatMap((p) => p.gaps),
    gapFillReadings: sum((p) => p.gapFillReadings),
    keys,
  };
}
