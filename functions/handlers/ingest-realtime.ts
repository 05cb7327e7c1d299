import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { openLake } from '../composition/lake';
import { projectConfigFromEnv } from '../config/env';
import { forEachKey } from './for-each-key';

/**
 * Lambda: scheduled realtime ingest of every configured key (or `event.keyAlias`). Env: EKM_KEYS_JSON,
 * EKM_*_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE.
 */
const config = projectConfigFromEnv(process.env);
const lake = openLake(config);
const secrets = new DefaultSecretResolver();

export const handler = async (event: { keyAlias?: string } = {}) =>
  forEachKey('ingest-realtime', config, secrets, event.keyAlias, async (key) => {
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
