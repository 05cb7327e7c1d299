import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoEdgeReceipts } from '../adapters/dynamo-edge-receipts';
import { DynamoIngestState } from '../adapters/dynamo-ingest-state';
import { dynamoClientFromConfig, ensureStateTable } from '../adapters/dynamo-state-table';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import type { ProjectConfig } from '../config/project-config';
import { EDGE_LIMITS, type EdgeGateway } from '../core/edge/edge-batch';
import { ValidationError } from '../core/errors';
import { systemClock } from '../ports/clock';
import type { SecretResolver } from '../ports/secret-resolver';
import { type IngestEdgeBatch, makeIngestEdgeBatch } from '../use-cases/ingest-edge-batch';
import { makeWriteReadings } from '../use-cases/write-readings';

/** The path the collector posts to, the same locally and behind API Gateway (lib/stacks/etl-stack.ts). */
export const EDGE_INGEST_PATH = '/v1/edge/batches';

export interface EdgeIngestServer {
  /** Full URL of the ingest endpoint, e.g. http://127.0.0.1:40123/v1/edge/batches */
  readonly url: string;
  close(): Promise<void>;
}

/** Resolve every gateway token of the config (once, at start). */
export async function resolveGateways(config: ProjectConfig, resolver: SecretResolver): Promise<EdgeGateway[]> {
  const gateways = config.edge?.gateways ?? [];
  return Promise.all(
    gateways.map(async (g, i) => ({
      id: g.id,
      meters: g.meters,
      token: await resolver.resolve(g.token, `edge.gateways[${i}].token`),
    })),
  );
}

/** The use-case wired to the config's lake (S3 / S3-compatible) and state table (DynamoDB). */
export async function edgeIngestFromConfig(
  config: ProjectConfig,
  resolver: SecretResolver = new DefaultSecretResolver(),
): Promise<IngestEdgeBatch> {
  if (!config.lake) throw new ValidationError(`${config.file}: lake`, 'edge ingest needs a lake section (bucket)');
  if (!config.state)
    throw new ValidationError(`${config.file}: state`, 'edge ingest needs a state section (table) for batch receipts');
  const dynamo = dynamoClientFromConfig(config.state);
  if (config.state.endpoint) await ensureStateTable(dynamo, config.state.table);
  return makeIngestEdgeBatch({
    gateways: await resolveGateways(config, resolver),
    writeReadings: makeWriteReadings({
      objectStore: S3ObjectStore.fromConfig(config.lake),
      ...(config.lake.prefix ? { prefix: config.lake.prefix } : {}),
      clock: systemClock,
    }),
    receipts: new DynamoEdgeReceipts(dynamo, config.state.table),
    locks: new DynamoIngestState(dynamo, config.state.table),
    clock: systemClock,
  });
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit + 1) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The local edge ingest endpoint (node:http on 127.0.0.1, port 0 by default): `POST
 * /v1/edge/batches` with a gateway token, the same use-case as the Lambda handler.
 */
export async function startEdgeIngestServer(opts: {
  readonly ingest: IngestEdgeBatch;
  readonly port?: number;
  readonly log?: (line: string) => void;
}): Promise<EdgeIngestServer> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== EDGE_INGEST_PATH) return send(404, { error: 'NOT_FOUND', message: `POST ${EDGE_INGEST_PATH}` });
    if (req.method !== 'POST') return send(405, { error: 'METHOD_NOT_ALLOWED', message: `POST ${EDGE_INGEST_PATH}` });
    readBody(req, EDGE_LIMITS.maxBodyBytes)
      .then(async (body) => {
        if (body === undefined) {
          return send(413, {
            error: 'TOO_LARGE',
            message: `body over ${EDGE_LIMITS.maxBodyBytes} bytes (send smaller batches)`,
          });
        }
        const key = req.headers['idempotency-key'];
        const out = await opts.ingest({
          body,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
        });
        opts.log?.(
          `edge ingest ${out.gateway ?? '-'} → ${out.status} ${JSON.stringify({ ...out.body, issues: undefined })}`,
        );
        send(out.status, out.body);
      })
      .catch((error: unknown) => {
        opts.log?.(`edge ingest error: ${(error as Error).message}`);
        send(500, { error: 'INTERNAL', message: 'the batch was not stored; retry later' });
      });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${EDGE_INGEST_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
