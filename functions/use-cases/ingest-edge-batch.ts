/**
 * Ingest one batch from an edge collector.
 *
 * Input: the raw request (Authorization and Idempotency-Key headers, body text). Output: an HTTP
 * status and a JSON body; 200 means the readings are durably in the lake (the collector may delete
 * them). A refusal (4xx) writes nothing. A 5xx means "not acknowledged, re-send": the batch's own
 * object may or may not be in the lake, and re-sending is always safe.
 *
 * 1. Refuse bodies over the size limit (413) and unknown tokens (401).
 * 2. Parse and validate every record for the authenticated gateway (400 / 403, all issues listed);
 *    refuse a batch whose readings span two UTC dates (400 `BATCH_SPANS_UTC_DATES`): a batch is
 *    stored as exactly one object, in one date partition, so it becomes visible all at once.
 * 3. If a receipt for (gateway, batchId) exists: same content → 200 `duplicate: true`, nothing
 *    written; different content → 409.
 * 4. Take the gateway's lease (busy → 503, the collector retries later) and renew it while working.
 *    It serialises step 5's check against step 6's write. Re-check the receipt under the lease.
 * 5. Read the gateway's partition for that date: a reading already accepted for the same meter and
 *    time with any different value refuses the batch (409 `READING_CONFLICT`, naming meter, time,
 *    field and both values); billed data is never changed silently. Exact repeats are fine.
 * 6. Write the batch as one object whose key is derived from the batch id and content
 *    (`b-<hash>.parquet`): a retry or a late duplicate writer replaces only that object with the same
 *    bytes, never another batch's readings.
 * 7. Fence: the receipt is recorded (and 200 answered) only if the lease was held without a lapse
 *    from step 4 to now (renewals succeeded in time and a final renewal succeeds). Otherwise 503
 *    `LEASE_LOST`: the collector re-sends, and the re-send goes through step 5 again.
 */

import { createHash, randomUUID } from 'node:crypto';
import {
  authenticateGateway,
  EDGE_LIMITS,
  type EdgeGateway,
  type EdgeRefusal,
  isRefusal,
  validateEdgeBatch,
} from '../core/edge/edge-batch';
import { edgeReadingConflicts } from '../core/edge/reading-conflicts';
import { asError } from '../core/errors';
import { leaseName } from '../core/leases';
import { utcDate } from '../core/parquet/object-keys';
import type { LakeRow } from '../core/parquet/rows';
import type { Reading } from '../core/readings/reading';
import type { Clock } from '../ports/clock';
import type { EdgeReceipts } from '../ports/edge-receipts';
import type { IngestState } from '../ports/ingest-state';
import type { EdgeBatchLake } from './write-readings';

/** How long one delivery's lease lasts without renewal (the Lambda times out at 29 s). */
const LOCK_TTL_MS = 60_000;

export interface IngestEdgeBatchDeps {
  /** Gateways with resolved tokens (from the project config's `edge.gateways`). */
  readonly gateways: readonly EdgeGateway[];
  /** The lake, edge side: one object per batch (use-cases/write-readings.ts `makeEdgeBatchLake`). */
  readonly lake: Pick<EdgeBatchLake, 'edgeBatchKey' | 'writeEdgeBatch' | 'readPartition' | 'deleteObjects'>;
  readonly receipts: EdgeReceipts;
  /** The shared lease lock (`LOCK#edge-ingest-<gateway>` in the state table); compaction takes it too. */
  readonly locks: Pick<IngestState, 'acquireLock' | 'releaseLock'>;
  readonly clock: Clock;
  /** Lease length; it is renewed every third of it while a delivery works. @default 60 000 */
  readonly leaseTtlMs?: number;
}

export interface EdgeIngestRequest {
  readonly authorization?: string;
  readonly idempotencyKey?: string;
  readonly body: string;
}

export interface EdgeIngestResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** Gateway id (for a log line), when authenticated. */
  readonly gateway?: string;
}

function refusal(r: EdgeRefusal, gateway?: string): EdgeIngestResponse {
  return {
    status: r.status,
    body: { error: r.code, message: r.message, ...(r.issues ? { issues: r.issues } : {}) },
    ...(gateway ? { gateway } : {}),
  };
}

/** SHA-256 over the readings in order: identifies a batch's content. */
export function batchDigest(readings: readonly Reading[]): string {
  return createHash('sha256').update(JSON.stringify(readings)).digest('hex');
}

export function makeIngestEdgeBatch(deps: IngestEdgeBatchDeps) {
  return async (request: EdgeIngestRequest): Promise<EdgeIngestResponse> => {
    const size = Buffer.byteLength(request.body, 'utf8');
    if (size > EDGE_LIMITS.maxBodyBytes) {
      return refusal({
        status: 413,
        code: 'TOO_LARGE',
        message: `body is ${size} bytes; at most ${EDGE_LIMITS.maxBodyBytes} (send smaller batches)`,
      });
    }
    const gateway = authenticateGateway(request.authorization, deps.gateways);
    if (isRefusal(gateway)) return refusal(gateway);
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body);
    } catch (error) {
      return refusal(
        { status: 400, code: 'INVALID_JSON', message: `body is not JSON: ${asError(error).message}` },
        gateway.id,
      );
    }
    const batch = validateEdgeBatch(parsed, {
      gateway,
      nowMs: deps.clock.now(),
      ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    });
    if (isRefusal(batch)) return refusal(batch, gateway.id);
    const dates = [...new Set(batch.readings.map((r) => utcDate(r.timeMs)))].sort();
    if (dates.length > 1) {
      return refusal(
        {
          status: 400,
          code: 'BATCH_SPANS_UTC_DATES',
          message: `batch ${batch.batchId} holds readings of ${dates.length} UTC dates (${dates.join(', ')}); a batch is stored as one object of one date, so split it at UTC midnight (ekm-edge does); nothing was written`,
        },
        gateway.id,
      );
    }
    const date = dates[0]!;
    const digest = batchDigest(batch.readings);
    const answerFor = (existing: { digest: string; readings: number }): EdgeIngestResponse =>
      existing.digest !== digest
        ? refusal(
            {
              status: 409,
              code: 'BATCH_ID_REUSED',
              message: `batch ${batch.batchId} was already received with different readings; use a new batch id`,
            },
            gateway.id,
          )
        : {
            status: 200,
            gateway: gateway.id,
            body: { batchId: batch.batchId, accepted: existing.readings, duplicate: true },
          };
    const seen = await deps.receipts.get(gateway.id, batch.batchId);
    if (seen) return answerFor(seen);
    const lock = leaseName('edge-ingest', gateway.id);
    const owner = randomUUID();
    const ttl = deps.leaseTtlMs ?? LOCK_TTL_MS;
    const acquiredAt = deps.clock.now();
    if (!(await deps.locks.acquireLock(lock, owner, ttl, acquiredAt))) {
      return {
        status: 503,
        gateway: gateway.id,
        body: { error: 'BUSY', message: `another delivery of gateway ${gateway.id} is being written; retry shortly` },
      };
    }
    const lease = holdLease(deps, lock, owner, ttl, acquiredAt);
    try {
      const raced = await deps.receipts.get(gateway.id, batch.batchId);
      if (raced) return answerFor(raced);
      const ids = { via: gateway.id, batchId: batch.batchId, digest };
      const key = deps.lake.edgeBatchKey(batch.readings, ids);
      // Only objects whose reads overlap the batch's times can conflict with it (write-readings.ts).
      let fromMs = Number.POSITIVE_INFINITY;
      let toMs = Number.NEGATIVE_INFINITY;
      for (const r of batch.readings) {
        if (r.timeMs < fromMs) fromMs = r.timeMs;
        if (r.timeMs > toMs) toMs = r.timeMs;
      }
      const objects = await deps.lake.readPartition(date, gateway.id, { fromMs, toMs });
      const accepted: LakeRow[] = [];
      for (const o of objects) if (o.key !== key) for (const row of o.rows) accepted.push(row);
      const conflicts = edgeReadingConflicts(batch.readings, accepted);
      if (conflicts.length > 0) {
        // An earlier attempt of this very batch that was never acknowledged must not stay visible.
        if (objects.some((o) => o.key === key)) await deps.lake.deleteObjects([key]);
        return refusal(
          {
            status: 409,
            code: 'READING_CONFLICT',
            message: `batch ${batch.batchId} refused: ${conflicts.length} value(s) differ from readings already accepted for the same meter and time; accepted readings are never changed, nothing was written (repeat them unchanged or leave them out)`,
            issues: conflicts.slice(0, EDGE_LIMITS.maxIssues),
          },
          gateway.id,
        );
      }
      const written = await deps.lake.writeEdgeBatch(batch.readings, ids);
      if (!(await lease.stillHeld())) {
        return {
          status: 503,
          gateway: gateway.id,
          body: {
            error: 'LEASE_LOST',
            message: `batch ${batch.batchId} was not acknowledged: the delivery lost gateway ${gateway.id}'s lease while writing; re-send it (re-sending is safe)`,
          },
        };
      }
      const recorded = await deps.receipts.put({
        gateway: gateway.id,
        batchId: batch.batchId,
        digest,
        readings: batch.readings.length,
        receivedAtMs: deps.clock.now(),
      });
      if (!recorded) {
        const other = await deps.receipts.get(gateway.id, batch.batchId);
        if (other) return answerFor(other);
      }
      return {
        status: 200,
        gateway: gateway.id,
        body: {
          batchId: batch.batchId,
          accepted: batch.readings.length,
          duplicate: false,
          objects: 1,
          object: written.key,
        },
      };
    } finally {
      await lease.stop();
      await deps.locks.releaseLock(lock, owner);
    }
  };
}

/**
 * Keep a lease while a delivery works: renew it every third of its length; `stillHeld` is true only
 * if it never lapsed (each renewal started before the previous lease ran out, judged by the clock
 * before the request, so slow answers count against us) and one last renewal succeeds now.
 */
function holdLease(
  deps: Pick<IngestEdgeBatchDeps, 'locks' | 'clock'>,
  lock: string,
  owner: string,
  ttl: number,
  acquiredAt: number,
) {
  let heldUntil = acquiredAt + ttl;
  let lost = false;
  const renew = async (): Promise<boolean> => {
    const at = deps.clock.now();
    if (at >= heldUntil) lost = true;
    if (lost) return false;
    try {
      if (await deps.locks.acquireLock(lock, owner, ttl, at)) {
        heldUntil = Math.max(heldUntil, at + ttl);
        return true;
      }
      lost = true;
    } catch {
      // A renewal that failed to reach the table is judged by the lapse check and the last renewal.
    }
    return false;
  };
  let chain: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      chain = chain.then(renew);
    },
    Math.max(20, Math.floor(ttl / 3)),
  );
  timer.unref?.();
  return {
    async stillHeld(): Promise<boolean> {
      clearInterval(timer);
      await chain;
      return renew();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await chain;
    },
  };
}

export type IngestEdgeBatch = ReturnType<typeof makeIngestEdgeBatch>;
