/**
 * The HTTP port every EKM API client is written against. The production adapter
 * (`adapters/undici-http-client.ts`) adds pooling, timeouts, bounded concurrency and retries;
 * tests may use it against the local EKM cloud.
 */
export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL including the query string. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Secrets in this request (key, bearer token) that must be redacted from any error or log line. */
  readonly secrets?: readonly string[];
  /** A label for errors and logs, e.g. `realtime` or `trigger.create`. */
  readonly endpoint: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
}
