import { dynamoClientFromConfig } from '../adapters/dynamo-state-table';
import { DynamoTriggerDriftStore } from '../adapters/dynamo-trigger-drift-store';
import type { EkmAccountClient } from '../adapters/ekm/account-client';
import { makeEkmClients, resolveEkmKey } from '../adapters/ekm/clients';
import { EkmTriggerClient } from '../adapters/ekm/trigger-client';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import type { UndiciHttpClientOptions } from '../adapters/undici-http-client';
import { ENV } from '../config/env-names';
import { keyEntry } from '../config/key-alias';
import type { ProjectConfig } from '../config/project-config';
import type { TriggerDriftConfig } from '../config/trigger-drift-config';
import { ValidationError } from '../core/errors';
import { systemClock } from '../ports/clock';
import type { EkmKey } from '../ports/ekm-api';
import type { SecretResolver } from '../ports/secret-resolver';
import { makeApplyTriggers } from '../use-cases/apply-triggers';
import { type DriftCheckResult, makeCheckTriggerDrift } from '../use-cases/check-trigger-drift';
import { makePlanTriggers } from '../use-cases/plan-triggers';
import { makeValidateTriggers } from '../use-cases/validate-triggers';

/**
 * Composition of trigger sync (validate, plan, apply, drift check) for the `trigger-drift` Lambda,
 * the `ekm-pipeline triggers` commands and `npm start`: one place builds the clients and wires the
 * use-cases.
 */

/** The drift check of one state table: where records go, where the desired file comes from. */
export interface DriftCheckOptions {
  readonly state: { readonly table: string; readonly endpoint?: string; readonly region?: string };
  readonly loadDesired: () => Promise<{ readonly name: string; readonly text: string }>;
  readonly autoApplyGateways?: ReadonlySet<string>;
}

/** Trigger sync for one key alias: Account and Trigger API clients on one pool, and the use-cases over them. */
export interface TriggerSyncWiring {
  readonly key: EkmKey;
  readonly account: EkmAccountClient;
  readonly triggers: EkmTriggerClient;
  /** Secrets to scrub from any text (key and token). */
  readonly secrets: readonly string[];
  /** Validation with the Account API checks (gateways, meters, relays, fields). */
  readonly validate: ReturnType<typeof makeValidateTriggers>;
  plan(opts?: { onGatewayRead?: () => void }): ReturnType<typeof makePlanTriggers>;
  apply(opts?: { onChangeDone?: () => void }): ReturnType<typeof makeApplyTriggers>;
  /** The drift check (as the scheduled Lambda runs it); `close` releases its state-table client. */
  driftCheck(opts: DriftCheckOptions): { check: () => Promise<DriftCheckResult>; close: () => void };
  /** HTTP attempts sent so far (for summaries and the benchmark). */
  requests(): number;
  close(): Promise<void>;
}

/** Validation of a trigger file alone (schema, names, RRULEs), without an account. */
export const validateTriggersOffline = makeValidateTriggers({ clock: systemClock });

/** Resolve the alias's key and bearer token; the token is required (the Trigger API needs one). */
export async function openTriggerSync(
  config: ProjectConfig,
  alias: string,
  secrets: SecretResolver = new DefaultSecretResolver(),
  httpOptions: UndiciHttpClientOptions = {},
): Promise<TriggerSyncWiring> {
  const key = await resolveEkmKey(config, alias, secrets);
  const { key: configured, index } = keyEntry(config, alias);
  const tokenRef = configured.token;
  if (!tokenRef)
    throw new ValidationError(
      `${config.file}: /keys/${index}/token`,
      `key alias ${JSON.stringify(alias)} has no Trigger API bearer token; add token: { env: NAME } (or { secretsManager: ... }) to that key`,
    );
  const token = await secrets.resolve(tokenRef, `${config.file}: /keys/${index}/token`);
  const clients = makeEkmClients(config.ekm, httpOptions);
  const triggers = new EkmTriggerClient(clients.http, { baseUrl: config.ekm.triggerUrl, key, token });
  const scrub = [key.key, token];
  return {
    key,
    account: clients.account,
    triggers,
    secrets: scrub,
    validate: makeValidateTriggers({ clock: systemClock, account: { api: clients.account, key } }),
    plan: (opts = {}) => makePlanTriggers({ triggers, ...opts }),
    apply: (opts = {}) => makeApplyTriggers({ triggers, keyAlias: key.alias, secrets: scrub, ...opts }),
    driftCheck: (opts) => {
      const dynamo = dynamoClientFromConfig(opts.state);
      const check = makeCheckTriggerDrift({
        clock: systemClock,
        triggers,
        store: new DynamoTriggerDriftStore(dynamo, opts.state.table),
        keyAlias: key.alias,
        secrets: scrub,
        loadDesired: opts.loadDesired,
        ...(opts.autoApplyGateways ? { autoApplyGateways: opts.autoApplyGateways } : {}),
      });
      return { check, close: () => dynamo.destroy() };
    },
    requests: () => clients.http.stats().requests,
    close: () => clients.close(),
  };
}

/** Local stand-ins (tests, npm start): S3 and DynamoDB endpoints. AWS needs none. */
export interface DriftEndpoints {
  readonly s3Endpoint?: string;
  readonly dynamoEndpoint?: string;
}

/** The scheduled drift check of the `trigger-drift` Lambda: desired file in S3, records in the state table. */
export async function openTriggerDriftCheck(
  config: TriggerDriftConfig,
  secrets: SecretResolver = new DefaultSecretResolver(),
  endpoints: DriftEndpoints = {},
): Promise<{ check: () => Promise<DriftCheckResult>; close: () => Promise<void> }> {
  const wiring = await openTriggerSync(config.project, config.keyAlias, secrets);
  const { uri, bucket, key } = config.desired;
  const objects = S3ObjectStore.fromConfig({
    bucket,
    ...(endpoints.s3Endpoint ? { endpoint: endpoints.s3Endpoint } : {}),
  });
  const drift = wiring.driftCheck({
    state: { table: config.table, ...(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {}) },
    autoApplyGateways: config.autoApplyGateways,
    loadDesired: async () => {
      const bytes = await objects.get(key);
      if (!bytes)
        throw new ValidationError(ENV.TRIGGERS_FILE_URI, `no object at ${uri}; upload the desired trigger file there`);
      return { name: uri, text: Buffer.from(bytes).toString('utf8') };
    },
  });
  return {
    check: drift.check,
    close: async () => {
      await wiring.close();
      drift.close();
    },
  };
}

export type { DriftCheckResult };
