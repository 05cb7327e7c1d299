/**
 * Scheduled Lambda `trigger-drift`: compares the gateways' live triggers with the desired file in
 * S3 (TRIGGERS_FILE_URI), records each gateway's drift in the state table (STATE_TABLE, `DRIFT#`
 * items), logs CloudWatch EMF metrics `EkmPipeline/TriggerDriftTotal` (the CDK alarm) and
 * `TriggerDrift` per Gateway, and applies drift for gateways in DRIFT_AUTO_APPLY_GATEWAYS.
 * Uses the first key in EKM_KEYS_JSON that has a Trigger API token.
 */
import { dynamoClientFromConfig } from '../adapters/dynamo-state-table';
import { DynamoTriggerDriftStore } from '../adapters/dynamo-trigger-drift-store';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { openTriggerSync } from '../composition/triggers';
import { optionalEnv, projectConfigFromEnv, requiredEnv } from '../config/env';
import { ENV } from '../config/env-names';
import { ValidationError } from '../core/errors';
import { driftMetricDocuments } from '../core/triggers/drift-metrics';
import { systemClock } from '../ports/clock';
import type { SecretResolver } from '../ports/secret-resolver';
import { type DriftCheckResult, makeCheckTriggerDrift } from '../use-cases/check-trigger-drift';

type Env = Readonly<Record<string, string | undefined>>;

export interface DriftSummary {
  readonly msg: 'trigger drift';
  readonly file: string;
  readonly gateways: number;
  /** Write changes found before auto-apply, and still pending after it. */
  readonly drift: number;
  readonly remaining: number;
  readonly autoApplied: readonly string[];
  readonly drifted: readonly { gateway: string; remaining: number; triggers: string[] }[];
}

/** Local stand-ins (tests, npm start): S3 and DynamoDB endpoints. AWS needs none. */
export interface DriftEndpoints {
  readonly s3Endpoint?: string;
  readonly dynamoEndpoint?: string;
}

/** Parse `s3://bucket/key`. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m?.[1] || !m[2])
    throw new ValidationError(
      ENV.TRIGGERS_FILE_URI,
      `${JSON.stringify(uri)} is not s3://bucket/key of the desired trigger file`,
    );
  return { bucket: m[1], key: m[2] };
}

/** Comma-separated gateway macs; each must be 12 lower-case hex digits. */
export function parseAutoApplyGateways(value: string | undefined): Set<string> {
  const macs = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const mac of macs)
    if (!/^[0-9a-f]{12}$/.test(mac))
      throw new ValidationError(
        ENV.DRIFT_AUTO_APPLY_GATEWAYS,
        `${JSON.stringify(mac)} is not a gateway mac (12 hex digits, no colons)`,
      );
  return new Set(macs);
}

/** Build the drift check from the Lambda environment (composition root). */
export async function driftCheckFromEnv(env: Env, secrets: SecretResolver, endpoints: DriftEndpoints = {}) {
  const config = projectConfigFromEnv(env);
  const uri = requiredEnv(env, ENV.TRIGGERS_FILE_URI);
  const { bucket, key } = parseS3Uri(uri);
  const table = requiredEnv(env, ENV.STATE_TABLE);
  const withToken = config.keys.find((k) => k.token);
  if (!withToken)
    throw new ValidationError(
      ENV.EKM_KEYS_JSON,
      'no key has a tokenSecretId; the Trigger API needs a bearer token for the drift check',
    );
  const wiring = await openTriggerSync(config, withToken.alias, secrets);
  const objects = S3ObjectStore.fromConfig({
    bucket,
    ...(endpoints.s3Endpoint ? { endpoint: endpoints.s3Endpoint } : {}),
  });
  const dynamo = dynamoClientFromConfig(endpoints.dynamoEndpoint ? { endpoint: endpoints.dynamoEndpoint } : {});
  const check = makeCheckTriggerDrift({
    clock: systemClock,
    triggers: wiring.triggers,
    store: new DynamoTriggerDriftStore(dynamo, table),
    keyAlias: withToken.alias,
    autoApplyGateways: parseAutoApplyGateways(optionalEnv(env, ENV.DRIFT_AUTO_APPLY_GATEWAYS)),
    secrets: wiring.secrets,
    loadDesired: async () => {
      const bytes = await objects.get(key);
      if (!bytes)
        throw new ValidationError(ENV.TRIGGERS_FILE_URI, `no object at ${uri}; upload the desired trigger file there`);
      return { name: uri, text: Buffer.from(bytes).toString('utf8') };
    },
  });
  return {
    check,
    close: async () => {
      await wiring.close();
      dynamo.destroy();
    },
  };
}

/** The handler around a drift check; `log` receives one EMF line per metric document and a summary. */
export function makeDriftHandler(
  getCheck: () => Promise<() => Promise<DriftCheckResult>>,
  log = (line: string) => console.log(line),
) {
  return async (_event?: unknown): Promise<DriftSummary> => {
    const result = await (await getCheck())();
    for (const doc of driftMetricDocuments(result.records, result.checkedAtMs)) log(JSON.stringify(doc));
    const summary: DriftSummary = {
      msg: 'trigger drift',
      file: result.file,
      gateways: result.records.length,
      drift: result.records.reduce((n, r) => n + r.drift, 0),
      remaining: result.totalRemaining,
      autoApplied: result.records.filter((r) => r.autoApplied).map((r) => r.gateway),
      drifted: result.records
        .filter((r) => r.drift > 0)
        .map((r) => ({
          gateway: r.gateway,
          remaining: r.remaining,
          triggers: r.changes.filter((c) => c.action !== 'unmanaged').map((c) => `${c.action} ${c.name}`),
        })),
    };
    log(JSON.stringify(summary));
    return summary;
  };
}

let built: Promise<() => Promise<DriftCheckResult>> | undefined;

export const handler = makeDriftHandler(() => {
  built ??= driftCheckFromEnv(process.env, new DefaultSecretResolver()).then((d) => d.check);
  // A failed start (e.g. an unreadable secret) must not be cached for the container's life.
  built.catch(() => {
    built = undefined;
  });
  return built;
});
