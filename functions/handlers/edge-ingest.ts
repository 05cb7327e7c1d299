/**
 * Lambda behind the edge HTTP API (`POST /v1/edge/batches`, API Gateway HTTP API payload v2).
 * Thin: its config comes from the environment on the first request of a container
 * (EDGE_GATEWAYS_JSON, LAKE_BUCKET, LAKE_PREFIX, STATE_TABLE), gateway tokens from Secrets
 * Manager; the use-case does the rest. Responses and logs never carry a token.
 */

import { edgeIngestFromConfig, type IngestEdgeBatch } from '../composition/edge';
import { loadEdgeIngestConfig } from '../config/edge-ingest-config';

import { startOnce } from './start-once';

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

/** The handler over a use-case factory (tests inject their own). */
export function makeEdgeIngestHandler(start: () => Promise<IngestEdgeBatch>) {
  return async (event: HttpApiEventV2): Promise<HttpApiResultV2> => {
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const body =
      event.body === undefined
        ? ''
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const out = await (await start())({
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

export const handler = makeEdgeIngestHandler(startOnce(() => edgeIngestFromConfig(loadEdgeIngestConfig(process.env))));
