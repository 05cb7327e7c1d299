import { jsonSyntaxProblem } from '@ekm-pipeline/shared/config-text';
import { ValidationError } from '../core/errors';
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
 * The project config of a Lambda, built from its environment (secrets as Secrets Manager refs).
 * Validated by the same schema as the config file, so errors read the same.
 */
export function projectConfigFromEnv(env: Env): ProjectConfig {
  const keys = (jsonEnv(env, ENV.EKM_KEYS_JSON) ?? []) as {
    alias: string;
    secretId: string;
    tokenSecretId?: string;
    timezone?: string;
  }[];
  if (!Array.isArray(keys)) throw new ValidationError(ENV.EKM_KEYS_JSON, 'must be a JSON array of {alias, secretId}');
  const edge = jsonEnv(env, ENV.EDGE_GATEWAYS_JSON) as
    | { id: string; tokenSecretId: string; meters: string[] }[]
    | undefined;
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
    keys: keys.map((k) => ({
      alias: k.alias,
      secret: { secretsManager: k.secretId },
      ...(k.tokenSecretId ? { token: { secretsManager: k.tokenSecretId } } : {}),
      ...(k.timezone ? { timezone: k.timezone } : {}),
    })),
    ...(bucket
      ? {
          lake: { bucket, ...(optionalEnv(env, ENV.LAKE_PREFIX) ? { prefix: optionalEnv(env, ENV.LAKE_PREFIX) } : {}) },
        }
      : {}),
    ...(table ? { state: { table } } : {}),
    ...(edge
      ? {
          edge: {
            gateways: edge.map((g) => ({ id: g.id, token: { secretsManager: g.tokenSecretId }, meters: g.meters })),
          },
        }
      : {}),
  };
  return parseProjectConfig(raw, 'environment');
}
