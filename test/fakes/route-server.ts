import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpClient, HttpRequest, HttpResponse } from '../../functions/ports/http-client';
import type { FakeRoute } from '../../local/ekm-cloud/fake-http';

/**
 * A real HTTP server on 127.0.0.1:0 that mounts fake-cloud routes (the trigger route's own test
 * harness; the shared local EKM cloud server mounts the same route). Optional latency per request.
 */
export interface RouteServer {
  readonly url: string;
  /** Requests served, by `METHOD path`. */
  readonly requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export async function startRouteServer(
  routes: readonly FakeRoute[],
  opts: { latencyMs?: number } = {},
): Promise<RouteServer> {
  const requests: RouteServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      for (const route of routes) {
        const out = await route({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers,
          body,
        });
        if (!out) continue;
        requests.push({ method: req.method ?? 'GET', path: url.pathname, status: out.status });
        res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
        res.end(typeof out.body === 'string' ? out.body : JSON.stringify(out.body));
        return;
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname, status: 404 });
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    })().catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A minimal fetch-based HttpClient: returns every response (no throw on non-2xx, no retries). */
export class FetchHttpClient implements HttpClient {
  readonly sent: HttpRequest[] = [];
  async request(req: HttpRequest): Promise<HttpResponse> {
    this.sent.push(req);
    const res = await fetch(req.url, {
      method: req.method,
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { status: res.status, headers, body: await res.text() };
  }
}

/**
 * Wraps a client and fails chosen requests (throws a network-style error carrying no status), to
 * test partial failure: `failWhen` sees each request and returns true to fail it.
 */
export class FailingHttpClient implements HttpClient {
  failed: HttpRequest[] = [];
  constructor(
    private readonly inner: HttpClient,
    public failWhen: (req: HttpRequest) => boolean,
  ) {}
  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.failWhen(req)) {
      this.failed.push(req);
      throw new Error(`injected failure: connection reset while calling ${req.url}`);
    }
    return this.inner.request(req);
  }
}
