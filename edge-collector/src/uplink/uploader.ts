/**
 * Moves spooled readings to the pipeline: batch → POST with the batch id as idempotency key →
 * delete on acknowledgement, back off on transient failure, set aside on permanent refusal.
 * A refused token or gateway (401/403) is a configuration problem, not bad data: the batch stays
 * queued and is retried with backoff until the operator fixes the token.
 */
import type { EdgeReading } from '../codec/reading';
import type { Spool } from './spool';

/** What the pipeline answered for one batch. */
export type UplinkAnswer =
  | { readonly kind: 'ack'; readonly accepted: number; readonly duplicate: boolean }
  | { readonly kind: 'retry'; readonly reason: string }
  /** The pipeline refused the gateway's credentials or rights (401/403): keep the batch, back off. */
  | { readonly kind: 'auth'; readonly reason: string }
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
  /** Set when that failure was the pipeline refusing the gateway token (401/403): why, token redacted. */
  authRefused?: string;
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
      if (answer.kind === 'auth') summary.authRefused = answer.reason;
      return summary;
    }
  }
}

/**
 * The operator-facing line for a refused token (401/403): what the pipeline said (token redacted
 * by the uplink), that nothing was set aside, what to check, and when the next try is.
 */
export function authRefusalMessage(reason: string, backoffMs: number | undefined): string {
  const retry =
    backoffMs === undefined ? 'retry with `ekm-edge flush`' : `retrying in ${Math.round(backoffMs / 1000)} s`;
  return (
    `upload refused: the pipeline did not accept this gateway's token or registration (${reason}); ` +
    'batches stay queued, nothing is dropped. Check uplink.token in edge.yaml against edge.gateways[] ' +
    `(id, token, meters) in the pipeline config; ${retry}`
  );
}
