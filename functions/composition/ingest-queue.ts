import { SqsMessageQueue } from '../adapters/sqs-message-queue';
import type { ProjectConfig } from '../config/project-config';
import type { IngestUnit } from '../core/ekm/ingest-units';
import type { MessageQueue } from '../ports/message-queue';
import {
  type BatchResponse,
  makeEnqueueIngestUnits,
  makeIngestUnitWorker,
  type QueueRecord,
} from '../use-cases/fan-out-ingest';
import { openLakeJobs } from './lake';

export type { BatchResponse, IngestUnit, QueueRecord };

/** The worker over one unit runner (handlers/ingest-realtime-worker.ts; tests pass a fake runner). */
export function ingestUnitWorker(run: (unit: IngestUnit) => Promise<unknown>) {
  return makeIngestUnitWorker({ run });
}

/** One key alias's realtime ingest, as the fan-out worker runs it (the same use-case as the CLI). */
export function openIngestUnitRunner(config: ProjectConfig, options: { readonly memoryMb?: number } = {}) {
  const { lake, forEachKey } = openLakeJobs(config, undefined, options);
  return (unit: IngestUnit) =>
    forEachKey('ingest-realtime', unit.keyAlias, async (key) => {
      const r = await lake.ingestRealtime({ key });
      return { alias: key.alias, meters: r.meters, reads: r.reads, objects: r.objects, gaps: r.gaps.length };
    });
}

export { makeEnqueueIngestUnits };

/**
 * The schedule's enqueue step in AWS: one SQS message per configured key alias (the aliases only;
 * keys are resolved by the worker). `send` is the SQS queue by default.
 */
export function openRealtimeEnqueue(
  config: ProjectConfig,
  queueUrl: string,
  queue: MessageQueue = SqsMessageQueue.fromUrl(queueUrl),
) {
  const enqueue = makeEnqueueIngestUnits({ queue });
  const aliases = config.keys.map((k) => k.alias);
  return async () => {
    const { units } = await enqueue(aliases);
    return { job: 'enqueue-realtime' as const, units: units.length, aliases: units.map((u) => u.keyAlias) };
  };
}
