/**
 * Ingest one batch from an edge collector.
 *
 * Input: the raw request (Authorization and Idempotency-Key headers, body text). Output: an HTTP
 * status and a JSON body; 200 means the readings are durably in the lake (the collector may delete
 * them), anything else means nothing was written.
 *
 * 1. Refuse bodies over the size limit (413) and unknown tokens (401).
 * 2. Parse and validate every record for the authenticated gateway (400 / 403, all issues listed).
 * 3. If a receipt for (gateway, batchId) exists: same content → 200 `duplicate: true`, nothing
 *    written; different content → 409.
 * 4. Take the gateway's lease lock (the lake writer merges objects read-modify-write, so two
 *    deliveries of one gateway must not interleave); busy → 503, the collector retries later.
 *    Re-check the receipt under the lock.
 * 5. Write the readings through the lake writer (`source = edge`, `via = gateway id`). Its object
 *    keys are deterministic and it merges by (meter, time, source), so a crash between this step
 *    and the next cannot duplicate rows on the retry.
 * 6. Record the receipt (conditional), release the lock, answer 200.
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
import type { Reading } from '../core/readings/reading';
import type { Clock } from '../ports/clock';
import type { EdgeReceipts } from '../ports/edge-receipts';
import type { IngestState } from '../ports/ingest-state';

/** How long one delivery may hold its gateway's lock (the Lambda times out at 29 s). */
const LOCK_TTL_MS = 60_000;

export interface IngestEdgeBatchDeps {
  /** Gateways with resolved tokens (from the project config's `edge.gateways`). */
  readonly gateways: readonly EdgeGateway[];
  readonly writeReadings: (
    readings: readonly Reading[],
    opts: { readonly via: string },
  ) => Promise<{ readonly keys: readonly string[]; readonly rows: number; readonly rejected: readonly unknown[] }>;
  readonly receipts: EdgeReceipts;
  /** The shared lease lock (`LOCK#edge-ingest-<gateway>` in the state table). */
  readonly locks: Pick<IngestState, 'acquireLock' | 'releaseLock'>;
  readonly clock: Clock;
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
        { status: 400, code: 'INVALID_JSON', message: `body is not JSON: ${(error as Error).message}` },
        gateway.id,
      );
    }
    const batch = validateEdgeBatch(parsed, {
      gateway,
      nowMs: deps.clock.now(),
      ...(request.idempotencyKey !== undefined ? { idempotencyKey: request.idempotencyKey } : {}),
    });
    if (isRefusal(batch)) return refusal(batch, gateway.id);
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
    const lock = `edge-ingest-${gateway.id}`;
    const owner = randomUUID();
    if (!(await deps.locks.acquireLock(lock, owner, LOCK_TTL_MS, deps.clock.now()))) {
      return {
        status: 503,
        gateway: gateway.id,
        body: { error: 'BUSY', message: `another delivery of gateway ${gateway.id} is being written; retry shortly` },
      };
    }
    try {
      const raced = await deps.receipts.get(gateway.id, batch.batchId);
      if (raced) return answerFor(raced);
      const written = await deps.writeReadings(batch.readings, { via: gateway.id });
      if (written.rejected.length > 0) {
        // validateEdgeBatch applies the lake's typing rules, so this means the two disagree: fail loudly.
        throw new Error(
          `lake writer quarantined ${written.rejected.length} readings of batch ${batch.batchId} that passed validation`,
        );
      }
      await deps.receipts.put({
        gateway: gateway.id,
        batchId: batch.batchId,
        digest,
        readings: batch.readings.length,
        receivedAtMs: deps.clock.now(),
      });
      return {
        status: 200,
        gateway: gateway.id,
        body: {
          batchId: batch.batchId,
          accepted: batch.readings.length,
          duplicate: false,
          objects: written.keys.length,
        },
      };
    } finally {
      await deps.locks.releaseLock(lock, owner);
    }
  };
}

export type IngestEdgeBatch = ReturnType<typeof makeIngestEdgeBatch>;
