import { resolveEkmKey } from '../adapters/ekm/clients';
import type { ProjectConfig } from '../config/project-config';
import { EkmPipelineError, redactError } from '../core/errors';
import type { EkmKey } from '../ports/ekm-api';
import type { SecretResolver } from '../ports/secret-resolver';

/**
 * Run one scheduled job for every configured key (or the one alias the event names). Every alias is
 * attempted; failures are logged and thrown together afterwards, redacted, so the schedule's
 * retries and alarms fire without one bad key starving the others.
 */
export async function forEachKey<T>(
  job: string,
  config: ProjectConfig,
  secrets: SecretResolver,
  keyAlias: string | undefined,
  run: (key: EkmKey) => Promise<T>,
): Promise<{ results: T[] }> {
  const aliases = keyAlias ? [keyAlias] : config.keys.map((k) => k.alias);
  const results: T[] = [];
  const failures: string[] = [];
  for (const alias of aliases) {
    let secret: string | undefined;
    try {
      const key = await resolveEkmKey(config, alias, secrets);
      secret = key.key;
      results.push(await run(key));
    } catch (error) {
      failures.push(`${alias}: ${redactError(error, [secret]).message}`);
    }
  }
  console.log(JSON.stringify({ job, results, failures }));
  if (failures.length > 0) throw new EkmPipelineError('INGEST_FAILED', failures.join('; '));
  return { results };
}
