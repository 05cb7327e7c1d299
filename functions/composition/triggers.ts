import type { EkmAccountClient } from '../adapters/ekm/account-client';
import { makeEkmClients, resolveEkmKey } from '../adapters/ekm/clients';
import { EkmTriggerClient } from '../adapters/ekm/trigger-client';
import type { UndiciHttpClientOptions } from '../adapters/undici-http-client';
import type { ProjectConfig } from '../config/project-config';
import { ValidationError } from '../core/errors';
import type { EkmKey } from '../ports/ekm-api';
import type { SecretResolver } from '../ports/secret-resolver';

/** Everything trigger sync needs for one key alias: Account and Trigger API clients on one pool. */
export interface TriggerSyncWiring {
  readonly key: EkmKey;
  readonly account: EkmAccountClient;
  readonly triggers: EkmTriggerClient;
  /** Secrets to scrub from any text (key and token). */
  readonly secrets: readonly string[];
  /** HTTP attempts sent so far (for summaries and the benchmark). */
  requests(): number;
  close(): Promise<void>;
}

/** Resolve the alias's key and bearer token; the token is required (the Trigger API needs one). */
export async function openTriggerSync(
  config: ProjectConfig,
  alias: string,
  secrets: SecretResolver,
  httpOptions: UndiciHttpClientOptions = {},
): Promise<TriggerSyncWiring> {
  const index = config.keys.findIndex((k) => k.alias === alias);
  const key = await resolveEkmKey(config, alias, secrets);
  const tokenRef = config.keys[index]?.token;
  if (!tokenRef)
    throw new ValidationError(
      `${config.file}: /keys/${index}/token`,
      `key alias ${JSON.stringify(alias)} has no Trigger API bearer token; add token: { env: NAME } (or { secretsManager: ... }) to that key`,
    );
  const token = await secrets.resolve(tokenRef, `${config.file}: /keys/${index}/token`);
  const clients = makeEkmClients(config.ekm, httpOptions);
  return {
    key,
    account: clients.account,
    triggers: new EkmTriggerClient(clients.http, { baseUrl: config.ekm.triggerUrl, key, token }),
    secrets: [key.key, token],
    requests: () => clients.http.stats().requests,
    close: () => clients.close(),
  };
}

/** The alias to use: the one asked for, or the only key of the config. */
export function pickKeyAlias(config: ProjectConfig, asked: string | undefined): string {
  if (asked) return asked;
  const [only, ...rest] = config.keys;
  if (only && rest.length === 0) return only.alias;
  throw new ValidationError(
    '--key-alias',
    `the config ${config.file} has ${config.keys.length} keys; pick one with --key-alias (${config.keys.map((k) => k.alias).join(', ')})`,
  );
}
