/**
 * Ingest 15-minute summaries of one EKM key into the lake's `summary` dataset; also backfills any
 * range. Idempotent: objects are per (alias, UTC day, shard) and merged, so re-running a range
 * rewrites the same rows.
 *
 * Input: the resolved key, optional `fromMs`/`toMs` (default: from the alias's summary cursor, or
 * one day back, to the last complete 15-minute bucket). Output: counts and object keys.
 *
 * 1. Take the `ingest-summary#{alias}` lease; discover meters (Account API) unless given.
 * 2. Split [from, to) into UTC days; per day ask the Summary API (report 15) for all meters.
 * 3. Write the buckets (merge into the day object); malformed buckets go to quarantine.
 * 4. After each day is durably written move the alias's summary cursor (forward-only) and report progress.
 */
import { randomUUID } from 'node:crypto';
import { asError, logBestEffortFailure, ValidationError } from '../core/errors';
import { leaseName } from '../core/leases';
import type { MeterId } from '../core/readings/meter-id';
import type { Clock } from '../ports/clock';
import type { AccountApi, EkmKey, SummaryApi } from '../ports/ekm-api';
import { ALIAS_CURSOR, type IngestState } from '../ports/ingest-state';
import { RUN_LEASE_TTL_MS, takeRunLease } from './run-lease';
import type { LakeWriter } from './write-readings';

export interface IngestSummaryDeps {
  readonly account: AccountApi;
  readonly summary: SummaryApi;
  readonly lake: LakeWriter;
  readonly state: IngestState;
  readonly clock: Clock;
  /** Meters per Summary request (default 100). */
  readonly metersPerRequest?: number;
  /** Run lease length; renewed every third of it while the run works (run-lease.ts). @default 60 000 */
  readonly lockTtlMs?: number;
  readonly newRunId?: () => string;
}

export interface IngestSummaryInput {
  readonly key: EkmKey;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly meters?: readonly MeterId[];
  readonly onProgress?: (done: number, total: number) => void;
}

export interface IngestSummaryResult {
  readonly runId: string;
  readonly alias: string;
  readonly meters: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly days: number;
  readonly buckets: number;
  readonly quarantined: number;
  readonly keys: readonly string[];
}

const BUCKET_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

export function makeIngestSummary(deps: IngestSummaryDeps) {
  const perRequest = deps.metersPerRequest ?? 100;
  const lockTtlMs = deps.lockTtlMs ?? RUN_LEASE_TTL_MS;
  const newRunId = deps.newRunId ?? randomUUID;

  return async function ingestSummary(input: IngestSummaryInput): Promise<IngestSummaryResult> {
    const { key } = input;
    const now = deps.clock.now();
    const toMs = Math.floor((input.toMs ?? now) / BUCKET_MS) * BUCKET_MS;
    if (input.toMs !== undefined && input.toMs > now)
      throw new ValidationError(
        '--to',
        `${new Date(input.toMs).toISOString()} is in the future; summaries exist only for the past`,
      );
    let fromMs = input.fromMs;
    if (fromMs === undefined) {
      const cursor = (await deps.state.getCursors('summary', key.alias, [ALIAS_CURSOR])).get(ALIAS_CURSOR);
      fromMs = cursor ?? toMs - DAY_MS;
    }
    fromMs = Math.floor(fromMs / BUCKET_MS) * BUCKET_MS;
    if (fromMs > toMs)
      throw new ValidationError(
        '--from',
        `${new Date(fromMs).toISOString()} is after --to ${new Date(toMs).toISOString()}; pass --from earlier than --to`,
      );
    const runId = newRunId();
    const lock = leaseName('ingest-summary', key.alias);
    const lease = await takeRunLease({
      state: deps.state,
      clock: deps.clock,
      name: lock,
      owner: runId,
      ttlMs: lockTtlMs,
      what: `another summary ingest of "${key.alias}"`,
      alias: key.alias,
      staleRuns: { job: 'ingest-summary', alias: key.alias },
    });
    await deps.state.putRun({ runId, job: 'ingest-summary', alias: key.alias, startedAtMs: now, status: 'running' });
    const keys = new Set<string>();
    let buckets = 0;
    let quarantined = 0;
    let meterCount = 0;
    try {
      const meters = [...new Set(input.meters ?? (await deps.account.meters(key)).map((m) => m.meter))].sort();
      meterCount = meters.length;
      const windows: [number, number][] = [];
      for (let start = fromMs; start < toMs; ) {
        const end = Math.min(toMs, Math.floor(start / DAY_MS) * DAY_MS + DAY_MS);
        windows.push([start, end]);
        start = end;
      }
      let done = 0;
      input.onProgress?.(0, windows.length);
      for (const [startMs, endMs] of windows) {
        for (let i = 0; i < meters.length; i += perRequest) {
          const batch = meters.slice(i, i + perRequest);
          const got = await deps.summary.read(key, { meters: batch, report: '15', startMs, endMs });
          lease.assertHeld();
          const written = await deps.lake.writeBuckets(got, { via: key.alias });
          buckets += written.rows;
          quarantined += written.rejected.length;
          for (const k of written.keys) keys.add(k);
        }
        // Durable: the alias's summary cursor may move to this window's end.
        lease.assertHeld();
        await deps.state.advanceCursors('summary', key.alias, new Map([[ALIAS_CURSOR, endMs]]), runId);
        input.onProgress?.(++done, windows.length);
      }
      const result = {
        runId,
        alias: key.alias,
        meters: meterCount,
        fromMs,
        toMs,
        days: windows.length,
        buckets,
        quarantined,
        keys: [...keys].sort(),
      };
      await deps.state.putRun({
        runId,
        job: 'ingest-summary',
        alias: key.alias,
        startedAtMs: now,
        finishedAtMs: deps.clock.now(),
        status: 'ok',
        summary: { meters: meterCount, days: windows.length, buckets, quarantined, objects: keys.size },
      });
      return result;
    } catch (error) {
      await deps.state
        .putRun({
          runId,
          job: 'ingest-summary',
          alias: key.alias,
          startedAtMs: now,
          finishedAtMs: deps.clock.now(),
          status: 'failed',
          summary: { buckets, error: asError(error).message.slice(0, 500) },
        })
        .catch((failure: unknown) => logBestEffortFailure(`record failed run ${runId}`, failure));
      throw error;
    } finally {
      await lease.release();
    }
  };
}
