import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRetryAfter, UndiciHttpClient } from '../../functions/adapters/undici-http-client';
import { EkmApiError, EkmHttpError } from '../../functions/core/ekm/ekm-errors';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const SECRET = 'SuperSecretKey123';
let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end('{}');
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req, res, hits);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hits = 0;
});

const delays: number[] = [];
function client(extra: ConstructorParameters<typeof UndiciHttpClient>[0] = {}) {
  delays.length = 0;
  return new UndiciHttpClient({
    maxRetries: 3,
    baseDelayMs: 100,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...extra,
  });
}
const get = (c: UndiciHttpClient, path = '/x') =>
  c.request({ method: 'GET', url: `${base}${path}?key=${SECRET}`, endpoint: 'test', secrets: [SECRET] });
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('UndiciHttpClient', () => {
  it('retries 429 honouring Retry-After, then succeeds', async () => {
    // Prepare
    handler = (_req, res, n) => (n === 1 ? json(res, 429, {}, { 'retry-after': '2' }) : json(res, 200, { ok: n }));
    const c = client();
    // Act
    const res = await get(c);
    // Assess
    expect(JSON.parse(res.body)).toEqual({ ok: 2 });
    expect(delays).toEqual([2000]);
    expect(c.stats()).toMatchObject({ requests: 2, retries: 1, failures: 0 });
    await c.close();
  });

  it('backs off exponentially with jitter on 5xx and gives up with a redacted EkmHttpError', async () => {
    handler = (_req, res) => json(res, 503, { msg: `bad key ${SECRET}` });
    const c = client();
    const error = await get(c).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EkmHttpError);
    const err = error as EkmHttpError;
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(4);
    expect(err.message).not.toContain(SECRET);
    expect(err.body).not.toContain(SECRET);
    expect(delays).toEqual([50, 100, 200]);
    await c.close();
  });

  it('never retries other 4xx', async () => {
    handler = (_req, res) => json(res, 404, { error: 'nope' });
    const c = client();
    await expect(get(c)).rejects.toMatchObject({ status: 404, attempts: 1 });
    expect(hits).toBe(1);
    await c.close();
  });

  it('turns an EKM status in a 4xx body into an EkmApiError without the key', async () => {
    handler = (_req, res) =>
      json(res, 400, { error: { code: 1200, message: `Found invalid meter: 1 for key: ${SECRET}` } });
    const c = client();
    const error = await get(c).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EkmApiError);
    expect((error as EkmApiError).ekmStatus).toBe(1200);
    expect((error as Error).message).not.toContain(SECRET);
    await c.close();
  });

  it('retries connection resets and truncated JSON bodies', async () => {
    handler = (req, res, n) => {
      if (n === 1) req.socket.destroy();
      else if (n === 2) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"readMeter":{"Req');
      } else json(res, 200, { ok: true });
    };
    const c = client();
    const res = await get(c);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(c.stats().requests).toBe(3);
    await c.close();
  });

  it('retries a body that stalls past the body timeout', async () => {
    const timers: NodeJS.Timeout[] = [];
    handler = (_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n === 1) {
        res.write('{"slow":');
        timers.push(setTimeout(() => res.end('1}'), 2000));
      } else res.end('{"fast":1}');
    };
    const c = client({ bodyTimeoutMs: 150 });
    const res = await get(c);
    expect(JSON.parse(res.body)).toEqual({ fast: 1 });
    for (const t of timers) clearTimeout(t);
    await c.close();
  });

  it('fails on a refused connection with a network error after retries', async () => {
    const c = client({ maxRetries: 1 });
    const error = await c
      .request({ method: 'GET', url: `http://127.0.0.1:1/?key=${SECRET}`, endpoint: 'test', secrets: [SECRET] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EkmHttpError);
    expect((error as EkmHttpError).status).toBeUndefined();
    expect((error as EkmHttpError).code).toBe('EKM_NETWORK');
    expect((error as Error).message).not.toContain(SECRET);
    await c.close();
  });

  it('bounds in-flight requests per origin', async () => {
    let inFlight = 0;
    let peak = 0;
    handler = (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, {});
      }, 20);
    };
    const c = client({ maxConcurrencyPerHost: 3 });
    await Promise.all(Array.from({ length: 12 }, () => get(c)));
    expect(peak).toBe(3);
    expect(c.stats().maxInFlight).toBe(3);
    await c.close();
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});

describe('UndiciHttpClient and POST', () => {
  const post = (c: UndiciHttpClient) =>
    c.request({ method: 'POST', url: `${base}/create`, endpoint: 'trigger.create', body: '{}', secrets: [] });

  it('does not retry a POST the server may have acted on (5xx, reset)', async () => {
    handler = (req, res, n) => (n === 1 ? json(res, 503, {}) : req.socket.destroy());
    const c = client();
    await expect(post(c)).rejects.toMatchObject({ status: 503, attempts: 1 });
    await expect(post(c)).rejects.toMatchObject({ code: 'EKM_NETWORK', attempts: 1 });
    expect(hits).toBe(2);
    await c.close();
  });

  it('retries a POST on 429, and on 5xx when retryPost is set', async () => {
    handler = (_req, res, n) =>
      n === 1 ? json(res, 429, {}) : n === 2 ? json(res, 500, {}) : json(res, 201, { ok: n });
    const c = client({ retryPost: true });
    expect((await post(c)).status).toBe(201);
    expect(hits).toBe(3);
    await c.close();
  });
});

describe('UndiciHttpClient keep-alive', () => {
  it('reuses pooled connections for sequential requests', async () => {
    // Prepare
    let connections = 0;
    const onConnection = () => connections++;
    server.on('connection', onConnection);
    handler = (_req, res) => json(res, 200, {});
    const c = client();
    // Act
    for (let i = 0; i < 20; i++) await get(c);
    // Assess: undici's pool may open a second socket while the first is being released; never one per request.
    server.off('connection', onConnection);
    expect(connections).toBeLessThanOrEqual(2);
    await c.close();
  });
});
