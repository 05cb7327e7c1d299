/**
 * Fan-out of realtime ingest: the schedule enqueues one message per EKM key alias; a worker
 * ingests the messages of one delivery, each on its own.
 *
 * Enqueue — input: the configured aliases (with the parts a large key's ingest is split into);
 * output: the units sent.
 * Worker — input: queue records (id + body); output: the ids that failed, in the shape of SQS's
 * partial batch response, so only those are retried and, after the queue's maxReceiveCount, moved
 * to its dead-letter queue; the others of the delivery are done.
 * 1. Parse each body into a unit (a malformed body fails only its own record).
 * 2. Run the units with bounded concurrency; a failing unit is logged and reported, never thrown.
 */

import { forEachLimit } from '../core/concurrency';
import {
  encodeIngestUnit,
  type IngestKeySpec,
  type IngestUnit,
  parseIngestUnit,
  planIngestUnits,
} from '../core/ekm/ingest-units';
import { asError } from '../core/errors';
import type { MessageQueue } from '../ports/message-queue';

export function makeEnqueueIngestUnits(deps: { readonly queue: MessageQueue }) {
  return async (keys: readonly IngestKeySpec[]): Promise<{ units: IngestUnit[] }> => {
    const units = planIngestUnits(keys);
    await deps.queue.send(units.map(encodeIngestUnit));
    return { units };
  };
}

/** Units of one delivery run at once by default (a slow key does not hold back the others). */
export const UNITS_AT_ONCE = 2;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface BatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

export function makeIngestUnitWorker<T>(deps: {
  readonly run: (unit: IngestUnit) => Promise<T>;
  /** Units run at once (default {@link UNITS_AT_ONCE}). */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}) {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (records: readonly QueueRecord[]): Promise<BatchResponse> => {
    const failed: string[] = [];
    await forEachLimit(records, deps.concurrency ?? UNITS_AT_ONCE, async (record) => {
      try {
        const result = await deps.run(parseIngestUnit(record.body));
        log(JSON.stringify({ messageId: record.messageId, ok: true, result }));
      } catch (error) {
        failed.push(record.messageId);
        log(JSON.stringify({ messageId: record.messageId, ok: false, error: asError(error).message.slice(0, 500) }));
      }
    });
    return { batchItemFailures: failed.sort().map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
