/**
 * The local EKM cloud's internal route contract. The server (server.ts) parses each
 * HTTP request once, applies fault injection, and offers it to each API's route in turn; a route
 * returns `undefined` when the path is not its own.
 */
export interface FakeRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/readMeter` or `/api/trigger`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface FakeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON (with `indent` applied by the route if it wants). */
  readonly body: unknown;
}

export type FakeRoute = (req: FakeRequest) => FakeResponse | undefined | Promise<FakeResponse | undefined>;
