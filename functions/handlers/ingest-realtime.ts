import { openLakeJobs } from '../composition/lake';
import { lambdaMemoryBudgetMb, loadLakeConfig } from '../config/lake-config';
import { startOnce } from './start-once';

export interface IngestRealtimeEvent {
  /** Ingest only this key (default: every configured key). */
  readonly keyAlias?: string;
}

/**
 * Lambda: scheduled realtime ingest of every configured key (or `event.keyAlias`). Env: EKM_KEYS_JSON,
 * EKM_*_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE.
 */
export function makeIngestRealtimeHandler(start: () => Promise<ReturnType<typeof openLakeJobs>>) {
  return async (event: IngestRealtimeEvent = {}) => {
    const { lake, forEachKey } = await start();
    return forEachKey('ingest-realtime', event.keyAlias, async (key) => {
      const r = await lake.ingestRealtime({ key });
      return {
        alias: key.alias,
        meters: r.meters,
        reads: r.reads,
        objects: r.objects,
        quarantined: r.quarantined,
        gaps: r.gaps.length,
      };
    });
  };
}

// Realtime chunks sized from the function's configured memory (core/ekm/realtime-plan.ts).
export const handler = makeIngestRealtimeHandler(
  startOnce(() =>
    openLakeJobs(loadLakeConfig(process.env), undefined, {
      ...(lambdaMemoryBudgetMb(process.env) ? { memoryMb: lambdaMemoryBudgetMb(process.env) } : {}),
    }),
  ),
);
