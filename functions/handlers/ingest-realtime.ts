import { resolveEkmKey } from '../adapters/ekm/clients';
import { openLake } from '../adapters/lake-wiring';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { projectConfigFromEnv } from '../config/env';
import { EkmPipelineError, redactSecrets } from '../core/errors';

/**
 * Lambda: scheduled realtime ingest of every configured key (or `event.keyAlias`). Env: EKM_KEYS_JSON,
 * EKM_*_URL, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE. Every alias is attempted; failures are
 * reported together afterwards so the schedule's retries and alarms fire.
 */
const config = projectConfigFromEnv(process.env);
const lake = openLake(config);
const secrets = new DefaultSecretResolver();

export const handler = async (event: { keyAlias?: string } = {}) => {
  const aliases = event.keyAlias ? [event.keyAlias] : config.keys.map((k) => k.alias);
  const results = [];
  const failures: string[] = [];
  for (const alias of aliases) {
    let secret: string | undefined;
    try {
      const key = await resolveEkmKey(config, alias, secrets);
      secret = key.key;
      const r = await lake.ingestRealtime({ key });
      results.push({
        alias,
        meters: r.meters,
        reads: r.reads,
        objects: r.objects,
        quarantined: r.quarantined,
        gaps: r.gaps.length,
      });
    } catch (error) {
      failures.push(`${alias}: ${redactSecrets((error as Error).message, [secret])}`);
    }
  }
  console.log(JSON.stringify({ job: 'ingest-realtime', results, failures }));
  if (failures.length > 0) throw new EkmPipelineError('INGEST_FAILED', failures.join('; '));
  return { results };
};
