import { EkmPipelineError, redactSecrets } from '../errors';
import type { MeterId } from '../readings/meter-id';

/**
 * Typed errors of the EKM Push client. Every message is built from redacted text only: callers pass
 * the request's secrets and this module runs {@link redactSecrets} before anything reaches `message`.
 */

/** The API status codes EKM documents (docs/ekm-push-apis.md §6.1). */
export const EKM_STATUS_MEANINGS: Readonly<Record<number, string>> = {
  1000: 'no data for the meters',
  1001: 'no data for the meters between the start and end dates',
  1002: 'no data; the meter first reported later',
  1003: 'no data; the meter last reported earlier',
  1004: 'time zone not supported for this date range',
  1100: 'invalid query',
  1101: 'invalid format',
  1102: 'invalid value',
  1103: 'invalid parameter',
  1200: 'invalid meter for this key',
  1300: 'unexpected error at EKM',
};

/** An HTTP failure: a non-2xx status after retries, or a transport failure (status `undefined`). */
export class EkmHttpError extends EkmPipelineError {
  override readonly name = 'EkmHttpError';
  /** HTTP status, or undefined when no response arrived (reset, timeout, refused). */
  readonly status: number | undefined;
  /** The endpoint label (`realtime`, `summary`, `account.meters`, `trigger.create`, ...). */
  readonly endpoint: string;
  /** How many attempts were made (1 = no retries). */
  readonly attempts: number;
  /** The first 500 characters of the response body, redacted; empty for transport failures. */
  readonly body: string;
  constructor(
    init: { status: number | undefined; endpoint: string; attempts: number; body?: string; detail: string },
    secrets: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    const body = redactSecrets((init.body ?? '').slice(0, 500), secrets);
    const what = init.status === undefined ? 'no response' : `HTTP ${init.status}`;
    super(
      init.status === undefined ? 'EKM_NETWORK' : 'EKM_HTTP',
      redactSecrets(
        `${init.endpoint}: ${what} after ${init.attempts} attempt(s): ${init.detail}${body ? ` — body: ${body.slice(0, 200)}` : ''}`,
        secrets,
      ),
      options,
    );
    this.status = init.status;
    this.endpoint = init.endpoint;
    this.attempts = init.attempts;
    this.body = body;
  }
}

/** EKM answered with one of its API status codes 1000–1300. */
export class EkmApiError extends EkmPipelineError {
  override readonly name = 'EkmApiError';
  /** EKM's API status code, 1000–1300. */
  readonly ekmStatus: number;
  readonly endpoint: string;
  /** Meters the request was about (12-digit ids). */
  readonly meters: readonly MeterId[];
  /** HTTP status the code arrived with. */
  readonly httpStatus: number;
  /** EKM's own message, redacted. */
  readonly detail: string;
  constructor(
    init: { ekmStatus: number; endpoint: string; meters: readonly MeterId[]; httpStatus: number; detail: string },
    secrets: readonly string[] = [],
  ) {
    const meaning = EKM_STATUS_MEANINGS[init.ekmStatus] ?? 'unknown EKM status';
    const meters =
      init.meters.length > 5
        ? `${init.meters.slice(0, 5).join(', ')}, … (${init.meters.length})`
        : init.meters.join(', ');
    super(
      'EKM_API',
      redactSecrets(
        `${init.endpoint}: EKM status ${init.ekmStatus} (${meaning})${meters ? ` for meters ${meters}` : ''}: ${init.detail}`,
        secrets,
      ),
    );
    this.ekmStatus = init.ekmStatus;
    this.endpoint = init.endpoint;
    this.meters = init.meters;
    this.httpStatus = init.httpStatus;
    this.detail = redactSecrets(init.detail, secrets);
  }
}

/** The response arrived but is not what the API promises (not JSON, wrong shape, bad value). */
export class EkmResponseError extends EkmPipelineError {
  override readonly name = 'EkmResponseError';
  readonly endpoint: string;
  constructor(endpoint: string, detail: string, secrets: readonly string[] = [], options?: ErrorOptions) {
    super('EKM_RESPONSE', redactSecrets(`${endpoint}: unexpected response: ${detail}`, secrets), options);
    this.endpoint = endpoint;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function ekmCode(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{4}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1000 && n <= 1399 ? n : undefined;
}

/**
 * Recognise an EKM API status carried in a body. How EKM carries codes 1000–1300 is not documented
 * (docs/ekm-push-apis.md §6), so this accepts the shapes a server could plausibly use — `{"error":{"code":N,
 * "message":…}}` (what the local EKM cloud sends), `{"code":N}`, `{"status_code":N}`, `{"status":N}`
 * — plus the legacy Summary text body that starts with `Error` (mapped to 1100, invalid query).
 * Returns undefined when the body is not an error.
 */
export function detectEkmStatus(body: string): { code: number; message: string } | undefined {
  const text = body.trimStart();
  if (text.startsWith('Error')) return { code: 1100, message: text.slice(0, 300) };
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const obj = asRecord(parsed);
  if (!obj) return undefined;
  const inner = asRecord(obj.error);
  for (const candidate of [inner?.code, obj.code, obj.status_code, obj.status]) {
    const code = ekmCode(candidate);
    if (code !== undefined) {
      const message = inner?.message ?? obj.message ?? obj.error;
      return { code, message: typeof message === 'string' ? message : (EKM_STATUS_MEANINGS[code] ?? '') };
    }
  }
  return undefined;
}
