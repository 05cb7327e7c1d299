/**
 * Lambda behind the edge HTTP API (`POST /v1/edge/batches`, API Gateway HTTP API payload v2).
 * Thin: its config comes from the environment on the first request of a container
 * (EDGE_GATEWAYS_JSON, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE), gateway tokens from Secrets
 * Manager; the use-case does the rest. Responses and logs never carry a token.
 */

import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { edgeIngestFromConfig } from '../composition/edge';
import { optionalEnv, requiredEnv } from '../config/env';
import { ENV } from '../config/env-names';
import { type ProjectConfig, parseProjectConfig } from '../config/project-config';
import { jsonSyntaxProblem } from '../core/config-text';
import { ValidationError } from '../core/errors';
import type { IngestEdgeBatch } from '../use-cases/ingest-edge-batch';

/** The parts of an API Gateway HTTP API (v2) event this handler reads. */
export interface HttpApiEventV2 {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

export interface HttpApiResultV2 {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * The edge ingest config from the Lambda environment. The edge function needs no EKM keys, so it
 * does not go through projectConfigFromEnv (which requires at least one key); the result is
 * validated by the same schema.
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
  if (!Array.isArray(gateways))
    throw new ValidationError(ENV.EDGE_GATEWAYS_JSON, 'must be a JSON array of {id, tokenSecretId, meters}');
  const prefix = optionalEnv(env, ENV.LAKE_PREFIX);
  return parseProjectConfig(
    {
      version: 1,
      // The schema wants a key; the edge function never calls EKM, so this placeholder is never resolved.
      keys: [{ alias: 'edge-only', secret: { env: 'EKM_KEY_UNUSED' } }],
      lake: { bucket: requiredEnv(env, ENV.LAKE_BUCKET), ...(prefix ? { prefix } : {}) },
      state: { table: requiredEnv(env, ENV.STATE_TABLE) },
      edge: {
        gateways: (gateways as { id: string; tokenSecretId: string; meters: string[] }[]).map((g) => ({
          id: g.id,
          token: { secretsManager: g.tokenSecretId },
          meters: g.meters,
        })),
      },
    },
    'environment',
  );
}

/** The handler over a use-case factory (tests inject their own). */
export function makeHandler(getIngest: () => Promise<IngestEdgeBatch>) {
  return async (event: HttpApiEventV2): Promise<HttpApiResultV2> => {
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const body =
      event.body === undefined
        ? ''
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const out = await (await getIngest())({
      body,
      ...(headers.authorization ? { authorization: headers.authorization } : {}),
      ...(headers['idempotency-key'] ? { idempotencyKey: headers['idempotency-key'] } : {}),
    });
    console.log(
      JSON.stringify({
        msg: 'edge batch',
        gateway: out.gateway,
        status: out.status,
        batchId: out.body.batchId,
        accepted: out.body.accepted,
        duplicate: out.body.duplicate,
      }),
    );
    return { statusCode: out.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out.body) };
  };
}

let ingest: Promise<IngestEdgeBatch> | undefined;

export const handler = makeHandler(() => {
  ingest ??= Promise.resolve().then(() =>
    edgeIngestFromConfig(loadEdgeIngestConfig(process.env), new DefaultSecretResolver()),
  );
  // A failed start (e.g. a secret that cannot be read) must not be cached for the container's life.
  ingest.catch(() => {
    ingest = undefined;
  });
  return ingest;
});
