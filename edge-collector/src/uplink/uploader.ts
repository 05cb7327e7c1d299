/**
 * Moves spooled readings to the pipeline: batch → POST with the batch id as idempotency key →
 * delete on acknowledgement, back off on transient failure, set aside on permanent refusal.
 */
import type { EdgeReading } from '../codec/reading';
import type { Spool } from './spool';

/** What the pipeline answered for one batch. */
export type UplinkAnswer =
  | { readonly kind: 'ack'; readonly accepted: number; readonly duplicate: boolean }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'reject'; readonly reason: string };

/** The uplink port: send one batch, never throw (network errors become `retry`). */
export interface Uplink {
  send(batch: {
    readonly gateway: string;
    readonly batchId: string;
    readonly readings: readonly EdgeReading[];
  }): Promise<UplinkAnswer>;
}

export interface FlushSummary {
  batches: number;
  readings: number;
  duplicates: number;
  retries: number;
  rejected: number;
  /** Set when the flush stopped on a failure that is backing off. */
  backoffMs?: number;
}

/** Send every due batch until the spool is empty or an attempt fails. */
export async function flushSpool(
  spool: Spool,
  uplink: Uplink,
  opts: { readonly gateway: string; readonly batchSize: number; readonly now: () => number },
): Promise<FlushSummary> {
  const summary: FlushSummary = { batches: 0, readings: 0, duplicates: 0, retries: 0, rejected: 0 };
  for (;;) {
    const batch = spool.nextBatch(opts.batchSize, opts.now());
    if (!batch) return summary;
    const answer = await uplink.send({ gateway: opts.gateway, batchId: batch.batchId, readings: batch.readings });
    if (answer.kind === 'ack') {
      spool.ack(batch.batchId);
      summary.batches++;
      summary.readings += batch.readings.length;
      if (answer.duplicate) summary.duplicates++;
    } else if (answer.kind === 'reject') {
      spool.reject(batch.batchId, opts.now(), answer.reason);
      summary.rejected++;
    } else {
      summary.retries++;
      summary.backoffMs = spool.fail(batch.batchId, opts.now(), answer.reason);
      return summary;
    }
  }
}
