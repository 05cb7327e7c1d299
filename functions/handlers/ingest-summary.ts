import { openLakeJobs } from '../composition/lake';
import { loadLakeConfig } from '../config/lake-config';
import { ValidationError } from '../core/errors';
import { startOnce } from './start-once';

export interface IngestSummaryEvent {
  /** Ingest only this key (default: every configured key). */
  readonly keyAlias?: string;
  /** Backfill range, UTC epoch ms. */
  readonly fromMs?: number;
  readonly toMs?: number;
}

/**
 * Lambda: scheduled 15-minute summary ingest per key; `event.fromMs`/`event.toMs` backfill a range.
 * Env: EKM_KEYS_JSON, EKM_SUMMARY_URL, EKM_ACCOUNT_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE.
 */
export function makeIngestSummaryHandler(start: () => Promise<ReturnType<typeof openLakeJobs>>) {
  return async (event: IngestSummaryEvent = {}) => {
    for (const f of ['fromMs', 'toMs'] as const) {
      const v = event[f];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
        throw new ValidationError(`event.${f}`, `expected UTC epoch ms, got ${JSON.stringify(v)}`);
    }
    const { lake, forEachKey } = await start();
    return forEachKey('ingest-summary', event.keyAlias, async (key) => {
      const r = await lake.ingestSummary({
        key,
        ...(event.fromMs !== undefined ? { fromMs: event.fromMs } : {}),
        ...(event.toMs !== undefined ? { toMs: event.toMs } : {}),
      });
      return { alias: key.alias, meters: r.meters, buckets: r.buckets, days: r.days, objects: r.keys.length };
    });
  };
}

export const handler = makeIngestSummaryHandler(startOnce(() => openLakeJobs(loadLakeConfig(process.env))));
