/**
 * Lambda behind the edge HTTP API (`POST /v1/edge/batches`, API Gateway HTTP API payload v2).
 * Thin: the project config comes from the environment once per cold start (EDGE_GATEWAYS_JSON,
 * LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE), gateway tokens from Secrets Manager on first use; the
 * use-case does the rest. Responses never carry a token.
 */
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import { projectConfigFromEnv } from '../config/env';
import { edgeIngestFromConfig } from '../local/edge-ingest-server';
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

const config = projectConfigFromEnv(process.env);
let ingest: Promise<IngestEdgeBatch> | undefined;

/** Build (once) the use-case; exported for tests that inject their own. */
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

export const handler = makeHandler(() => {
  ingest ??= edgeIngestFromConfig(config, new DefaultSecretResolver());
  // A failed start (e.g. a secret that cannot be read) must not be cached for the container's life.
  ingest.catch(() => {
    ingest = undefined;
  });
  return ingest;
});
