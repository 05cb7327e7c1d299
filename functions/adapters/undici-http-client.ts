import { Agent, type Dispatcher, request } from 'undici';
import { detectEkmStatus, EkmApiError, EkmHttpError } from '../core/ekm/ekm-errors';
import type { HttpClient, HttpRequest, HttpResponse } from '../ports/http-client';

/**
 * The production HttpClient: one undici 7 Agent (keep-alive pool), connect/headers/body timeouts,
 * bounded concurrency per origin, and retries with jittered exponential backoff.
 *
 * Retry policy (README "EKM cloud client and local EKM cloud"):
 * - retried: HTTP 429 and 5xx, transport failures (reset, refused, connect/headers/body timeout),
 *   and truncated JSON bodies (a JSON content type whose body does not end in `}` or `]`);
 * - never retried: any other 4xx (it fails the same way again);
 * - POST (not idempotent: a trigger create could run twice) is retried only when the server cannot
 *   have acted on it: 429, connection refused, connect timeout — unless `retryPost` is set;
 * - delay before attempt n+1: `Retry-After` (seconds or HTTP date, capped at `maxRetryAfterMs`) when
 *   the server sent one, else full jitter `random() * min(maxDelayMs, baseDelayMs * 2^n)`.
 * Non-2xx responses become {@link EkmHttpError} (or {@link EkmApiError} when the body carries an EKM
 * status 1000–1300); every message is redacted with the request's `secrets`.
 */
export interface UndiciHttpClientOptions {
  /** Retries after the first attempt (default 4). */
  readonly maxRetries?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` honoured; longer values are capped (default 30 s). */
  readonly maxRetryAfterMs?: number;
  readonly connectTimeoutMs?: number;
  /** Time to the response headers (default = bodyTimeoutMs). */
  readonly headersTimeoutMs?: number;
  /** Longest silence while the body streams (default 15 s). */
  readonly bodyTimeoutMs?: number;
  /** In-flight requests per origin (default 8); also the pool's connections per origin. */
  readonly maxConcurrencyPerHost?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Retry POSTs like other methods (default false: only 429 and connect failures). */
  readonly retryPost?: boolean;
  /** When false, non-2xx responses are returned instead of thrown (after retries). Default true. */
  readonly throwOnHttpError?: boolean;
  /** Seams for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called before each retry (e.g. a debug log); receives redacted text only. */
  readonly onRetry?: (info: { endpoint: string; attempt: number; delayMs: number; reason: string }) => void;
}

/** Request counters for benchmarks and run summaries. */
export interface HttpClientStats {
  /** HTTP attempts sent (including retries). */
  requests: number;
  retries: number;
  /** Requests that ended in a thrown error. */
  failures: number;
  bytesReceived: number;
  /** Highest number of in-flight requests seen for any one origin. */
  maxInFlight: number;
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  get inFlight(): number {
    return this.active;
  }
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter so `active` never dips below the true count.
    if (next) next();
    else this.active--;
  }
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Failures before the request left: safe to retry for every method. */
const BEFORE_SEND_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause);
}

class RetryableBody extends Error {}

/** Parse `Retry-After` (delta seconds or an HTTP date) into ms; undefined when absent/invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function looksTruncatedJson(headers: Record<string, string>, body: string): boolean {
  if (!(headers['content-type'] ?? '').includes('json')) return false;
  const trimmed = body.trimEnd();
  if (trimmed === '') return true;
  const last = trimmed[trimmed.length - 1];
  return last !== '}' && last !== ']';
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class UndiciHttpClient implements HttpClient {
  private readonly dispatcher: Agent;
  private readonly semaphores = new Map<string, Semaphore>();
  private readonly counters: HttpClientStats = {
    requests: 0,
    retries: 0,
    failures: 0,
    bytesReceived: 0,
    maxInFlight: 0,
  };
  private readonly opts: Required<Omit<UndiciHttpClientOptions, 'onRetry'>> & Pick<UndiciHttpClientOptions, 'onRetry'>;

  constructor(options: UndiciHttpClientOptions = {}) {
    const bodyTimeoutMs = options.bodyTimeoutMs ?? 15_000;
    this.opts = {
      maxRetries: options.maxRetries ?? 4,
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      headersTimeoutMs: options.headersTimeoutMs ?? bodyTimeoutMs,
      bodyTimeoutMs,
      maxConcurrencyPerHost: options.maxConcurrencyPerHost ?? 8,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 10_000,
      throwOnHttpError: options.throwOnHttpError ?? true,
      retryPost: options.retryPost ?? false,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: options.random ?? Math.random,
      onRetry: options.onRetry,
    };
    if (!Number.isInteger(this.opts.maxConcurrencyPerHost) || this.opts.maxConcurrencyPerHost < 1) {
      throw new RangeError(`maxConcurrencyPerHost must be a positive integer, got ${this.opts.maxConcurrencyPerHost}`);
    }
    this.dispatcher = new Agent({
      connections: this.opts.maxConcurrencyPerHost,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs,
      connect: { timeout: this.opts.connectTimeoutMs },
      headersTimeout: this.opts.headersTimeoutMs,
      bodyTimeout: this.opts.bodyTimeoutMs,
    });
  }

  /** A snapshot of the request counters. */
  stats(): HttpClientStats {
    return { ...this.counters };
  }

  /** Close the pool (idle keep-alive sockets would otherwise hold the process open briefly). */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const secrets = req.secrets ?? [];
    const origin = new URL(req.url).origin;
    let sem = this.semaphores.get(origin);
    if (!sem) {
      sem = new Semaphore(this.opts.maxConcurrencyPerHost);
      this.semaphores.set(origin, sem);
    }
    for (let attempt = 1; ; attempt++) {
      let outcome: { response?: HttpResponse; error?: unknown; retryAfterMs?: number; reason: string } | undefined;
      let final: HttpResponse | undefined;
      await sem.acquire();
      this.counters.maxInFlight = Math.max(this.counters.maxInFlight, sem.inFlight);
      try {
        this.counters.requests++;
        const response = await this.once(req);
        if (response.status === 429 || (response.status >= 500 && this.mayRetryAfterSend(req))) {
          outcome = {
            response,
            retryAfterMs: parseRetryAfter(response.headers['retry-after'], Date.now()),
            reason: `HTTP ${response.status}`,
          };
        } else {
          final = response;
        }
      } catch (error) {
        const code = errorCode(error);
        const retryable =
          code !== undefined && BEFORE_SEND_CODES.has(code)
            ? true
            : (error instanceof RetryableBody || (code !== undefined && RETRYABLE_CODES.has(code))) &&
              this.mayRetryAfterSend(req);
        if (!retryable) {
          this.counters.failures++;
          throw new EkmHttpError(
            { status: undefined, endpoint: req.endpoint, attempts: attempt, detail: describeError(error) },
            secrets,
            { cause: error },
          );
        }
        outcome = { error, reason: describeError(error) };
      } finally {
        sem.release();
      }
      if (final) return this.finish(req, final, attempt, secrets);
      if (!outcome) throw new Error('unreachable: no response and no error');
      if (attempt > this.opts.maxRetries) {
        this.counters.failures++;
        if (outcome.response) {
          if (!this.opts.throwOnHttpError) return outcome.response;
          throw this.httpError(req, outcome.response, attempt, secrets);
        }
        throw new EkmHttpError(
          { status: undefined, endpoint: req.endpoint, attempts: attempt, detail: outcome.reason },
          secrets,
          { cause: outcome.error },
        );
      }
      const backoff = this.opts.random() * Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
      const delayMs =
        outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, this.opts.maxRetryAfterMs) : backoff;
      this.counters.retries++;
      this.opts.onRetry?.({ endpoint: req.endpoint, attempt, delayMs, reason: outcome.reason });
      await this.opts.sleep(delayMs);
    }
  }

  /** Whether a failure after the request may have reached the server still allows a retry. */
  private mayRetryAfterSend(req: HttpRequest): boolean {
    return req.method !== 'POST' || this.opts.retryPost;
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const res: Dispatcher.ResponseData = await request(req.url, {
      method: req.method,
      headers: req.headers ? { ...req.headers } : undefined,
      body: req.body,
      dispatcher: this.dispatcher,
    });
    const body = await res.body.text();
    this.counters.bytesReceived += Buffer.byteLength(body);
    const headers = flattenHeaders(res.headers);
    if (res.statusCode >= 200 && res.statusCode < 300 && looksTruncatedJson(headers, body)) {
      throw new RetryableBody(`truncated JSON body (${body.length} chars)`);
    }
    return { status: res.statusCode, headers, body };
  }

  private finish(req: HttpRequest, response: HttpResponse, attempts: number, secrets: readonly string[]): HttpResponse {
    if (response.status < 300 || !this.opts.throwOnHttpError) return response;
    this.counters.failures++;
    throw this.httpError(req, response, attempts, secrets);
  }

  private httpError(req: HttpRequest, response: HttpResponse, attempts: number, secrets: readonly string[]): Error {
    const ekm = detectEkmStatus(response.body);
    if (ekm) {
      return new EkmApiError(
        { ekmStatus: ekm.code, endpoint: req.endpoint, meters: [], httpStatus: response.status, detail: ekm.message },
        secrets,
      );
    }
    return new EkmHttpError(
      {
        status: response.status,
        endpoint: req.endpoint,
        attempts,
        body: response.body,
        detail: statusText(response.status),
      },
      secrets,
    );
  }
}

function describeError(error: unknown): string {
  if (error instanceof RetryableBody) return error.message;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code}: ${message}` : message;
}

function statusText(status: number): string {
  if (status === 400) return 'bad request (check the parameters)';
  if (status === 401) return 'unauthenticated (check the key or token)';
  if (status === 403) return 'forbidden (the key or token lacks access)';
  if (status === 404) return 'not found';
  if (status === 429) return 'rate limited; retries exhausted';
  if (status >= 500) return 'EKM server error; retries exhausted';
  return 'unexpected status';
}
