import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { openLake } from '../composition/lake';
import { projectConfigFromEnv } from '../config/env';
import { ValidationError } from '../core/errors';
import { forEachKey } from './for-each-key';

/**
 * Lambda: scheduled 15-minute summary ingest per key; `event.fromMs`/`event.toMs` backfill a range.
 * Env: EKM_KEYS_JSON, EKM_SUMMARY_URL, EKM_ACCOUNT_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE.
 */
const config = projectConfigFromEnv(process.env);
const lake = openLake(config);
const secrets = new DefaultSecretResolver();

export const handler = async (event: { keyAlias?: string; fromMs?: number; toMs?: number } = {}) => {
  for (const f of ['fromMs', 'toMs'] as const) {
    const v = event[f];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
      throw new ValidationError(`event.${f}`, `expected UTC epoch ms, got ${JSON.stringify(v)}`);
  }
  return forEachKey('ingest-summary', config, secrets, event.keyAlias, async (key) => {
    const r = await lake.ingestSummary({
      key,
      ...(event.fromMs !== undefined ? { fromMs: event.fromMs } : {}),
      ...(event.toMs !== undefined ? { toMs: event.toMs } : {}),
    });
    return { alias: key.alias, meters: r.meters, buckets: r.buckets, days: r.days, objects: r.keys.length };
  });
};
