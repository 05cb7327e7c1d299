import {
  ingestKeysOf,
  ingestUnitWorker,
  makeEnqueueIngestUnits,
  openIngestUnits,
} from '../../functions/composition/ingest-queue';
import type { ProjectConfig } from '../../functions/config/project-config';
import { logBestEffortFailure } from '../../functions/core/errors';
import type { SecretResolver } from '../../functions/ports/secret-resolver';
import { LocalQueue, type LocalQueueOptions } from '../aws/local-queue';

/** What the units a worker ran so far added up to (summary lines of `npm start -- --serve`). */
export interface FanOutTally {
  units: number;
  reads: number;
  meters: number;
  objects: number;
}

/**
 * Realtime ingest fanned out per key, in-process, as the AWS stack runs it: the schedule enqueues one
 * message per configured key alias on a local queue with SQS semantics (local/aws/local-queue.ts),
 * and a poller hands the messages to the same worker the `ingest-realtime-worker` Lambda runs
 * (functions/composition/ingest-queue.ts), so a failing key is retried and then dead-lettered while
 * the others are ingested once.
 */
export function startLocalIngestFanOut(
  config: ProjectConfig,
  options: Partial<LocalQueueOptions> & {
    readonly secrets?: SecretResolver;
    /** The worker's one JSON line per message. @default console.log */
    readonly log?: (line: string) => void;
    /** A batch the worker could not answer at all (its messages are retried). @default a warning line */
    readonly onWorkerError?: (error: unknown) => void;
  } = {},
) {
  const queue = new LocalQueue({
    // The AWS queue hides a message for six worker timeouts; locally a failed key comes back sooner.
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 30_000,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    batchSize: options.batchSize ?? 2,
    maxConcurrency: options.maxConcurrency ?? 2,
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
  const units = openIngestUnits(config, options.secrets ? { secrets: options.secrets } : {});
  const tally: FanOutTally = { units: 0, reads: 0, meters: 0, objects: 0 };
  const worker = ingestUnitWorker(async (unit) => {
    const { results } = await units.run(unit);
    tally.units++;
    for (const r of results) {
      tally.reads += r.reads;
      tally.meters += r.meters;
      tally.objects += r.objects;
    }
    return { results };
  }, options.log);
  const poller = queue.startPoller(
    worker,
    options.onWorkerError ??
      ((error) => logBestEffortFailure('local ingest worker batch (its messages are retried)', error)),
  );
  const enqueue = makeEnqueueIngestUnits({ queue });
  return {
    queue,
    poller,
    tally,
    /** One message per configured key alias, or per part of a split key (the enqueue Lambda's step). */
    enqueue: () => enqueue(ingestKeysOf(config)),
    close: async () => {
      await poller.stop();
      await units.close();
    },
  };
}

export type LocalIngestFanOut = ReturnType<typeof startLocalIngestFanOut>;
