import { jsonSyntaxProblem } from '@ekm-pipeline/shared/config-text';
import { ValidationError } from '../core/errors';
import type { AwsGatewayConfig } from './aws-secret-ref';
import { awsEntriesFromEnv, EDGE_GATEWAY_SHAPE, optionalEnv, requiredEnv } from './env';
import { ENV } from './env-names';
import { type ProjectConfig, parseProjectConfig } from './project-config';

/**
 * The `edge-ingest` Lambda's config from its environment (EDGE_GATEWAYS_JSON, LAKE_BUCKET,
 * LAKE_PREFIX, STATE_TABLE). The edge function needs no EKM keys, so it does not go through
 * projectConfigFromEnv (which requires at least one key); the result is validated by the same schema.
 */
export function loadEdgeIngestConfig(env: Readonly<Record<string, string | undefined>>): ProjectConfig {
  let gateways: unknown;
  try {
    gateways = JSON.parse(requiredEnv(env, ENV.EDGE_GATEWAYS_JSON));
  } catch (cause) {
    if (cause instanceof ValidationError) throw cause;
    // Position only: JSON.parse's message quotes the text, which may hold a secret.
    throw new ValidationError(ENV.EDGE_GATEWAYS_JSON, `is ${jsonSyntaxProblem(cause)}; check the variable's JSON`);
  }
  const declared = awsEntriesFromEnv<AwsGatewayConfig>(ENV.EDGE_GATEWAYS_JSON, gateways, EDGE_GATEWAY_SHAPE, [
    { field: 'token', required: true },
  ]);
  const prefix = optionalEnv(env, ENV.LAKE_PREFIX);
  return parseProjectConfig(
    {
      version: 1,
      // The schema wants a key; the edge function never calls EKM, so this placeholder is never resolved.
      keys: [{ alias: 'edge-only', secret: { env: 'EKM_KEY_UNUSED' } }],
      lake: { bucket: requiredEnv(env, ENV.LAKE_BUCKET), ...(prefix ? { prefix } : {}) },
      state: { table: requiredEnv(env, ENV.STATE_TABLE) },
      edge: {
        gateways: declared,
      },
    },
    'environment',
  );
}
