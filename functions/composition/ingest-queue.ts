import { SqsMessageQueue } from '../adapters/sqs-message-queue';
import type { ProjectConfig } from '../config/project-config';
import type { IngestUnit } from '../core/ekm/ingest-units';
import type { MessageQueue } from '../ports/message-queue';
import type { SecretResolver } from '../ports/secret-resolver';
import {
  type BatchResponse,
  makeEnqueueIngestUnits,
  makeIngestUnitWorker,
  type QueueRecord,
} from '../use-cases/fan-out-ingest';
import { openLakeJobs } from './lake';

export { UNITS_AT_ONCE } from '../use-cases/fan-out-ingest';
export type { BatchResponse, IngestUnit, QueueRecord };

/** The worker over one unit runner (handlers/ingest-realtime-worker.ts; tests pass a fake runner). */
export function ingestUnitWorker(run: (unit: IngestUnit) => Promise<unknown>, log?: (line: string) => void) {
  return makeIngestUnitWorker({ run, ...(log ? { log } : {}) });
}

/** One key alias's realtime ingest, as the fan-out worker runs it (the same use-case as the CLI). */
export function openIngestUnitRunner(config: ProjectConfig, options: { readonly memoryMb?: number } = {}) {
  return openIngestUnits(config, options).run;
}

/**
 * The unit runner with the lake it opened, for callers that outlive one run and close it (the
 * local stack's queue worker under `npm start -- --serve`; a Lambda keeps it for its container's life).
 */
export function openIngestUnits(
  config: ProjectConfig,
  options: { readonly memoryMb?: number; readonly secrets?: SecretResolver } = {},
) {
  const { lake, forEachKey } = openLakeJobs(config, options.secrets, {
    ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}),
  });
  const run = (unit: IngestUnit) =>
    forEachKey('ingest-realtime', unit.keyAlias, async (key) => {
      const part = unit.shard ? { shard: `${unit.shard.index}/${unit.shard.count}` } : {};
      try {
        const r = await lake.ingestRealtime({ key, ...(unit.shard ? { shard: unit.shard } : {}) });
        return { alias: key.alias, ...part, meters: r.meters, reads: r.reads, objects: r.objects, gaps: r.gaps.length };
      } catch (error) {
        // Another run of this key (an earlier message, the CLI) or its compaction holds the lease: the
        // key is being worked on, and the next schedule ingests from its cursors. Done, not failed,
        // so a busy key is neither retried nor dead-lettered.
        if ((error as { code?: unknown }).code !== 'INGEST_LOCKED') throw error;
        return { alias: key.alias, ...part, meters: 0, reads: 0, objects: 0, gaps: 0, skipped: 'lease held' as const };
      }
    });
  return { run, lake, close: () => lake.close() };
}

export { makeEnqueueIngestUnits };

/**
 * The schedule's enqueue step in AWS: one SQS message per configured key alias, or per part for a
 * key split into `realtimeShards` (aliases only; keys are resolved by the worker). `queue` is the
 * SQS queue by default.
 */
export function openRealtimeEnqueue(
  config: ProjectConfig,
  queueUrl: string,
  queue: MessageQueue = SqsMessageQueue.fromUrl(queueUrl),
) {
  const enqueue = makeEnqueueIngestUnits({ queue });
  const keys = ingestKeysOf(config);
  return async () => {
    const { units } = await enqueue(keys);
    return {
      job: 'enqueue-realtime' as const,
      units: units.length,
      aliases: [...new Set(units.map((u) => u.keyAlias))],
    };
  };
}

/** The configured keys as the enqueue step plans them: alias and how many parts (the AWS and local schedules). */
export function ingestKeysOf(config: ProjectConfig) {
  return config.keys.map((k) => ({ alias: k.alias, realtimeShards: k.realtimeShards ?? 1 }));
}
