import { jsonSyntaxProblem } from '@ekm-pipeline/shared/config-text';
import { ValidationError } from '../core/errors';
import { type AwsGatewayConfig, type AwsKeyConfig, awsSecretRefProblem } from './aws-secret-ref';
import { ENV } from './env-names';
import { EKM_DEFAULT_ENDPOINTS, type ProjectConfig, parseProjectConfig } from './project-config';

type Env = Readonly<Record<string, string | undefined>>;

/** A required variable, trimmed; the error names the variable and the fix. */
export function requiredEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value)
    throw new ValidationError(
      name,
      'environment variable is not set (the CDK stack sets it; set it by hand when running locally)',
    );
  return value;
}

export function optionalEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** How an EDGE_GATEWAYS_JSON entry is written, for messages. */
export const EDGE_GATEWAY_SHAPE = '{id, token: { secretsManager: "..." }, meters}';

function jsonEnv(env: Env, name: string): unknown {
  const text = optionalEnv(env, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    // Position only: JSON.parse's message quotes the text, which may hold a secret.
    throw new ValidationError(name, `is ${jsonSyntaxProblem(cause)}; check the variable's JSON`);
  }
}

/**
 * The entries of a JSON-array variable (EKM_KEYS_JSON, EDGE_GATEWAYS_JSON), each checked to write its
 * secrets as the project file does, limited to Secrets Manager; the error names the entry and the fix
 * (`EKM_KEYS_JSON: [0].secretId is the old spelling; write secret: { secretsManager: "..." }`).
 */
export function awsEntriesFromEnv<T>(
  name: string,
  value: unknown,
  shape: string,
  secrets: readonly { readonly field: 'secret' | 'token'; readonly required: boolean }[],
): T[] {
  if (!Array.isArray(value)) throw new ValidationError(name, `must be a JSON array of ${shape}`);
  for (const [i, entry] of value.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new ValidationError(name, `[${i}] must be an object ${shape}`);
    for (const { field, required } of secrets) {
      const problem = awsSecretRefProblem(entry as Record<string, unknown>, field, `[${i}]`, required);
      if (problem) throw new ValidationError(name, problem);
    }
  }
  return value as T[];
}

/**
 * The project config of a Lambda, built from its environment. EKM_KEYS_JSON and EDGE_GATEWAYS_JSON
 * hold keys and gateways in the project file's shape, secrets as `{ secretsManager: "..." }`.
 * Validated by the same schema as the config file, so errors read the same.
 */
export function projectConfigFromEnv(env: Env): ProjectConfig {
  const keys = awsEntriesFromEnv<AwsKeyConfig>(
    ENV.EKM_KEYS_JSON,
    jsonEnv(env, ENV.EKM_KEYS_JSON) ?? [],
    '{alias, secret: { secretsManager: "..." }, token?, timezone?}',
    [
      { field: 'secret', required: true },
      { field: 'token', required: false },
    ],
  );
  const edgeJson = jsonEnv(env, ENV.EDGE_GATEWAYS_JSON);
  const edge =
    edgeJson === undefined
      ? undefined
      : awsEntriesFromEnv<AwsGatewayConfig>(ENV.EDGE_GATEWAYS_JSON, edgeJson, EDGE_GATEWAY_SHAPE, [
          { field: 'token', required: true },
        ]);
  const bucket = optionalEnv(env, ENV.LAKE_BUCKET);
  const table = optionalEnv(env, ENV.STATE_TABLE);
  const raw = {
    version: 1,
    ekm: {
      realtimeUrl: optionalEnv(env, ENV.EKM_REALTIME_URL) ?? EKM_DEFAULT_ENDPOINTS.realtimeUrl,
      summaryUrl: optionalEnv(env, ENV.EKM_SUMMARY_URL) ?? EKM_DEFAULT_ENDPOINTS.summaryUrl,
      accountUrl: optionalEnv(env, ENV.EKM_ACCOUNT_URL) ?? EKM_DEFAULT_ENDPOINTS.accountUrl,
      triggerUrl: optionalEnv(env, ENV.EKM_TRIGGER_URL) ?? EKM_DEFAULT_ENDPOINTS.triggerUrl,
    },
    keys,
    ...(bucket
      ? {
          lake: { bucket, ...(optionalEnv(env, ENV.LAKE_PREFIX) ? { prefix: optionalEnv(env, ENV.LAKE_PREFIX) } : {}) },
        }
      : {}),
    ...(table ? { state: { table } } : {}),
    ...(edge
      ? {
          edge: {
            gateways: edge,
          },
        }
      : {}),
  };
  return parseProjectConfig(raw, 'environment');
}
