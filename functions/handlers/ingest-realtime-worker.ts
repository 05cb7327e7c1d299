import {
  type BatchResponse,
  type IngestUnit,
  ingestUnitWorker,
  openIngestUnitRunner,
  type QueueRecord,
  UNITS_AT_ONCE,
} from '../composition/ingest-queue';
import { lambdaMemoryBudgetMb, loadLakeConfig } from '../config/lake-config';
import { startOnce } from './start-once';

/** The part of an SQS event the worker reads (aws-lambda's SQSEvent has more). */
export interface IngestQueueEvent {
  readonly Records: readonly QueueRecord[];
}

/**
 * Lambda: ingests the realtime reads of the key alias each SQS message names (one message per key,
 * enqueued by the schedule; core/ekm/ingest-units.ts). Answers SQS's partial batch response: only
 * failed messages are retried and, after the queue's maxReceiveCount, dead-lettered; one account's
 * failure never fails another's message. Env: as ingest-realtime.ts.
 */
export function makeIngestRealtimeWorkerHandler(
  start: () => Promise<{ readonly ingest: (unit: IngestUnit) => Promise<unknown> }>,
) {
  return async (event: IngestQueueEvent): Promise<BatchResponse> => {
    const { ingest } = await start();
    return ingestUnitWorker(ingest)(event.Records);
  };
}

// Each unit of a delivery may run beside another: each gets its share of the memory budget.
const budgetMb = lambdaMemoryBudgetMb(process.env);
export const handler = makeIngestRealtimeWorkerHandler(
  startOnce(() => ({
    ingest: openIngestUnitRunner(loadLakeConfig(process.env), {
      ...(budgetMb ? { memoryMb: Math.floor(budgetMb / UNITS_AT_ONCE) } : {}),
    }),
  })),
);
