import { openRealtimeEnqueue } from '../composition/ingest-queue';
import { requiredEnv } from '../config/env';
import { ENV } from '../config/env-names';
import { loadLakeConfig } from '../config/lake-config';
import { startOnce } from './start-once';

/**
 * Lambda: the realtime schedule's first step. Puts one message per configured key alias on the
 * ingest queue (INGEST_QUEUE_URL); the worker (ingest-realtime-worker.ts) ingests each on its own,
 * so one account's failure or slowness never holds back another's. Reads no secret: messages hold
 * aliases only. Env: EKM_KEYS_JSON, INGEST_QUEUE_URL.
 */
export function makeEnqueueRealtimeIngestHandler(
  start: () => Promise<{
    readonly enqueue: () => Promise<{ readonly units: number; readonly aliases: readonly string[] }>;
  }>,
) {
  return async () => {
    const { enqueue } = await start();
    const result = await enqueue();
    console.log(JSON.stringify({ job: 'enqueue-realtime', units: result.units }));
    return result;
  };
}

export const handler = makeEnqueueRealtimeIngestHandler(
  startOnce(() => ({
    enqueue: openRealtimeEnqueue(loadLakeConfig(process.env), requiredEnv(process.env, ENV.INGEST_QUEUE_URL)),
  })),
);
