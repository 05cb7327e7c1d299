import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../../functions/ports/clock';
import { makeAccountRoute } from './account-route';
import { type CloudBehaviour, type CloudState, indexMeters } from './cloud-state';
import type { FakeRequest, FakeResponse, FakeRoute } from './fake-http';
import { type FaultConfig, FaultInjector, type RequestFault } from './faults';
import { demoAccount, type FakeAccount } from './identities';
import { makeRealtimeRoute } from './realtime-route';
import { DEFAULT_BAD_READ_RATE, type SimRead, simulateReads } from './simulator';
import { makeSummaryRoute } from './summary-route';
import { makeTriggerRoute } from './trigger-routes';

/**
 * The local EKM cloud: all four EKM APIs on one loopback port, at EKM's own paths, so EKM's documented
 * examples work with only the host swapped. Deterministic from `seed` and the clock.
 */
export interface FakeCloudOptions {
  /** Default 0 (pick a free port; read it back from the handle). */
  readonly port?: number;
  readonly account?: FakeAccount;
  readonly seed?: number;
  readonly clock?: Clock;
  readonly faults?: FaultConfig;
  /** First simulated read; default: the UTC midnight 35 days before the clock's now at start. */
  readonly historyStartMs?: number;
  /** Share of `Good: 0` reads, 0..1 (default 0.005). */
  readonly badReadRate?: number;
  readonly behaviour?: Partial<CloudBehaviour>;
}

export interface FakeCloud {
  readonly url: string;
  readonly port: number;
  readonly account: FakeAccount;
  readonly seed: number;
  readonly historyStartMs: number;
  readonly badReadRate: number;
  /**
   * The simulator's own series of a meter (`fromMs < timeMs <= toMs`, oldest first, failed reads
   * included), with this cloud's seed, history start and bad-read rate. Good reads' `values` equal
   * the `fields` the client returns for them.
   */
  series(meter: string, fromMs: number, toMs: number): SimRead[];
  /** Replace the fault config (the request counter restarts). */
  setFaults(faults: FaultConfig): void;
  /** Requests served and faults injected since start / the last setFaults. */
  stats(): { requests: number; faults: Readonly<Record<string, number>> };
  close(): Promise<void>;
}

/** A settable clock for tests and demos. */
export function manualClock(startMs: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const DAY_MS = 86_400_000;

export async function startFakeCloud(opts: FakeCloudOptions = {}): Promise<FakeCloud> {
  const clock = opts.clock ?? { now: () => Date.now() };
  const account = opts.account ?? demoAccount();
  const seed = opts.seed ?? 1;
  const historyStartMs = opts.historyStartMs ?? Math.floor(clock.now() / DAY_MS) * DAY_MS - 35 * DAY_MS;
  const badReadRate = opts.badReadRate ?? DEFAULT_BAD_READ_RATE;
  const state: CloudState = {
    account,
    clock,
    sim: { seed, historyStartMs, badReadRate },
    faults: { current: new FaultInjector(opts.faults) },
    behaviour: { errorStyle: 'json', macStyle: 'plain', ...opts.behaviour },
    meters: indexMeters(account),
  };
  const routes: FakeRoute[] = [
    makeRealtimeRoute(state),
    makeSummaryRoute(state),
    makeAccountRoute(state),
    makeTriggerRoute(account, clock),
  ];
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = createServer((req, res) => {
    requests++;
    void handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { code: 1300, message: 'Oops! It looks like there was an unexpected error.' } }),
        );
      } else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const fakeReq: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    const injector = state.faults.current;
    const fault: RequestFault = injector.pick(fakeReq.path);
    const latency = injector.config.latencyMs ?? 0;
    if (latency > 0) await later(latency);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === '429') {
      return send(res, {
        status: 429,
        headers: { 'retry-after': String(injector.config.retryAfterSec ?? 1) },
        body: { error: 'Too Many Requests' },
      });
    }
    if (fault === '5xx') return send(res, { status: 503, body: { error: 'Service Unavailable' } });
    let response: FakeResponse | undefined;
    for (const route of routes) {
      response = await route(fakeReq);
      if (response) break;
    }
    response ??= { status: 404, body: { error: `Not found: ${fakeReq.method} ${fakeReq.path}` } };
    if (fault === 'truncate' || fault === 'slow') {
      const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
      const cut = Math.max(1, Math.floor(text.length / 2));
      res.write(text.slice(0, cut));
      if (fault === 'truncate') {
        // A complete HTTP message whose JSON stops halfway.
        res.end();
        return;
      }
      await later(injector.config.slowBodyMs ?? 30_000);
      if (!res.destroyed) res.end(text.slice(cut));
      return;
    }
    send(res, response);
  }

  function send(res: ServerResponse, response: FakeResponse): void {
    const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    res.writeHead(response.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...response.headers,
    });
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    account,
    seed,
    historyStartMs,
    badReadRate,
    series(meter, fromMs, toMs) {
      const entry = state.meters.get(meter);
      if (!entry) throw new RangeError(`meter ${meter} is not in this local EKM cloud's account`);
      return simulateReads(entry.meter, fromMs, toMs, state.sim);
    },
    setFaults(faults) {
      state.faults.current = new FaultInjector(faults);
    },
    stats() {
      return { requests, faults: { ...state.faults.current.injected } };
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
