import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EDGE_LIMITS } from '../../functions/core/edge/edge-batch';
import { asError } from '../../functions/core/errors';
import type { IngestEdgeBatch } from '../../functions/use-cases/ingest-edge-batch';

/** The path the collector posts to, the same locally and behind API Gateway (lib/stacks/etl-stack.ts). */
export const EDGE_INGEST_PATH = '/v1/edge/batches';

export interface EdgeIngestServer {
  /** Full URL of the ingest endpoint, e.g. http://127.0.0.1:40123/v1/edge/batches */
  readonly url: string;
  close(): Promise<void>;
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
        opts.log?.(`edge ingest error: ${asError(error).message}`);
        send(500, {
          error: 'INTERNAL',
          message: 'the batch was not acknowledged; re-send it later (re-sending is safe)',
        });
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
