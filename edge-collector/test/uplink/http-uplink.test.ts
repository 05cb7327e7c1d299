import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpUplink } from '../../src/uplink/http-uplink';

const TOKEN = 'edge-token-abcdef123456';
const batch = { gateway: 'gw-1', batchId: 'gw-1-000000000001-000000000001', readings: [] };

async function serve(
  status: number,
  body: string,
): Promise<{ url: string; server: Server; seen: Record<string, unknown>[] }> {
  const seen: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, key: req.headers['idempotency-key'], body: JSON.parse(text) });
      // An error page that (wrongly) echoes the token must not leak it into the spool's last_error.
      res.writeHead(status, { 'content-type': 'application/json' }).end(body.replace('$TOKEN', TOKEN));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/edge/batches`, server, seen };
}

describe('HttpUplink', () => {
  it('posts the batch with the bearer token and the batch id as idempotency key', async () => {
    const { url, server, seen } = await serve(200, '{"accepted":0,"duplicate":true}');
    try {
      expect(await new HttpUplink(url, TOKEN).send(batch)).toEqual({ kind: 'ack', accepted: 0, duplicate: true });
      expect(seen[0]).toEqual({ auth: `Bearer ${TOKEN}`, key: batch.batchId, body: batch });
    } finally {
      server.close();
    }
  });

  it.each([
    [503, 'retry'],
    [429, 'retry'],
    [408, 'retry'],
    [400, 'reject'],
    [409, 'reject'],
    [403, 'auth'],
    [401, 'auth'],
  ])('maps HTTP %d to %s, with the token redacted', async (status, kind) => {
    const { url, server } = await serve(status, '{"error":"x","echo":"$TOKEN"}');
    try {
      const answer = await new HttpUplink(url, TOKEN).send(batch);
      expect(answer.kind).toBe(kind);
      expect(JSON.stringify(answer)).not.toContain(TOKEN);
      expect(JSON.stringify(answer)).toContain(String(status));
    } finally {
      server.close();
    }
  });

  it('turns a refused connection into a retry', async () => {
    const { url, server } = await serve(200, '{}');
    await new Promise((r) => server.close(r));
    expect(await new HttpUplink(url, TOKEN, 2000).send(batch)).toMatchObject({ kind: 'retry' });
  });
});
