import { asError } from '@ekm-pipeline/shared';

/**
 * One error hierarchy for the whole pipeline. Every error carries a stable `code` that callers and
 * scripts can branch on; messages say what was received and what to do, and never hold a secret
 * (run anything user-supplied through {@link redactSecrets} before it reaches a message).
 */
/** Bad input or configuration (always a {@link ValidationError}), or a refused confirmation. */
export type InputErrorCode = 'VALIDATION' | 'CONFIRMATION_REQUIRED';

/** The EKM cloud: HTTP and network failures, EKM API statuses, unexpected bodies, the Trigger API. */
export type EkmErrorCode =
  | 'EKM_HTTP'
  | 'EKM_NETWORK'
  | 'EKM_API'
  | 'EKM_RESPONSE'
  | 'TRIGGER_HTTP'
  | 'TRIGGER_NETWORK'
  | 'TRIGGER_FORBIDDEN'
  | 'TRIGGER_READ_ONLY_TOKEN'
  | 'DRIFT_STORE';

/** Ingest runs, their leases, the lake and queries over it. */
export type LakeErrorCode =
  | 'INGEST_LOCKED'
  | 'INGEST_FAILED'
  | 'LEASE_LOST'
  | 'LEASE_ACTIVE'
  | 'CANCELLED'
  | 'LAKE_READ'
  | 'LAKE_DELETE'
  | 'QUEUE_SEND'
  | 'CURSOR_PAGE_FULL'
  | 'QUERY';

/** Drafting, closing and crediting billing months. */
export type BillingErrorCode =
  | 'BILLING_STATE'
  | 'BILLING_LOCKED'
  | 'BILLING_NOT_CLOSING'
  | 'BILLING_NOT_CLOSED'
  | 'BILLING_MONTH_CLOSED'
  | 'BILLING_NO_DRAFTS'
  | 'BILLING_DRAFTS_INCOMPLETE'
  | 'BILLING_CLOSE_FAILED'
  | 'BILLING_SNAPSHOT'
  | 'BILLING_SNAPSHOT_CORRUPT';

/** Local tooling: the local AWS stand-ins, tools the machine lacks, the demo stages. */
export type LocalErrorCode = 'LOCAL_AWS' | 'LOCAL_TOOL_MISSING' | 'DEMO_ORDER' | 'DEMO_BILLING' | 'DEMO_TRIGGERS';

/**
 * Every `code` an {@link EkmPipelineError} carries, by area (the edge's `CodecErrorCode` is the
 * model): callers and scripts branch on these, so a new code is added to its area's union here.
 */
export type ErrorCode = InputErrorCode | EkmErrorCode | LakeErrorCode | BillingErrorCode | LocalErrorCode;

export class EkmPipelineError extends Error {
  override readonly name: string = 'EkmPipelineError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Bad configuration or input: names the file/field, the bad value and the fix. */
export class ValidationError extends EkmPipelineError {
  override readonly name = 'ValidationError';
  /**
   * Where the bad value is, in one of three forms (build them with {@link fileField},
   * {@link flagField}, {@link envField}):
   * - a value in a file: `file: /json/pointer` (`ekm-pipeline.yaml: /keys/0/secret`; `file: /` for
   *   the whole document);
   * - a command-line flag: `--flag` (`--key-alias`);
   * - an environment variable: its name (`EKM_KEYS_JSON`; a value inside its JSON: `EKM_KEYS_JSON: /0/alias`).
   */
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super('VALIDATION', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** Escape one JSON Pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`). */
function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `ValidationError.field` of a value in a file: `file: /json/pointer` (`file: /` for the whole file). */
export function fileField(file: string, path: readonly (string | number)[] = []): string {
  return `${file}: /${path.map(pointerToken).join('/')}`;
}

/** `ValidationError.field` of a command-line flag: `--flag` (given with or without the dashes). */
export function flagField(flag: string): `--${string}` {
  return flag.startsWith('--') ? (flag as `--${string}`) : `--${flag}`;
}

/** `ValidationError.field` of an environment variable (and of a value inside its JSON, given a path). */
export function envField(name: string, path?: readonly (string | number)[]): string {
  return path === undefined ? name : fileField(name, path);
}

/** Narrow an unknown caught value to an Error (one implementation for root and edge: `@ekm-pipeline/shared`). */
export { asError };

const MIN_SECRET_LENGTH = 4;

/**
 * Replace every occurrence of each secret (and its URL-encoded form) with `***`.
 * Secrets shorter than 4 characters are ignored so that redaction cannot shred ordinary text.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/**
 * The caught value as an Error whose message (and stack) hold none of `secrets`. Never mutates the
 * caught value: it returns a copy with the same class, `name`, `code`, `cause` and other own fields
 * (the cause is kept for callers that branch on it, such as the CLI's refused-connection hint; print
 * only the returned message). Use it where an error is rethrown or reported.
 */
export function redactError(value: unknown, secrets: Iterable<string | undefined>): Error {
  const error = asError(value);
  const list = [...secrets];
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error)) as Error, error);
  Object.defineProperty(copy, 'message', {
    value: redactSecrets(error.message, list),
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if ('cause' in error) {
    Object.defineProperty(copy, 'cause', { value: error.cause, writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(copy, 'stack', {
    value: error.stack === undefined ? undefined : redactSecrets(error.stack, list),
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return copy;
}

/** What a best-effort failure log line holds: never the error object itself (it may hold a request). */
export interface BestEffortFailure {
  readonly level: 'warn';
  readonly message: 'best-effort step failed';
  readonly what: string;
  readonly error: { readonly name: string; readonly code?: string; readonly message: string };
}

/** The log line of a best-effort step that failed ({@link logBestEffortFailure}). */
export function bestEffortFailure(
  what: string,
  value: unknown,
  secrets: Iterable<string | undefined> = [],
): BestEffortFailure {
  const error = redactError(value, secrets);
  const code = (error as { code?: unknown }).code;
  return {
    level: 'warn',
    message: 'best-effort step failed',
    what,
    error: { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message.slice(0, 500) },
  };
}

/**
 * Log (one JSON line on stderr) that a best-effort step failed, instead of swallowing it: the step's
 * failure must not fail the run, but an operator should see it. Use as
 * `.catch((error) => logBestEffortFailure('release lease x', error))`. Messages are redacted of
 * `secrets`; the error object itself is never logged.
 */
export function logBestEffortFailure(
  what: string,
  value: unknown,
  secrets: Iterable<string | undefined> = [],
): undefined {
  console.warn(JSON.stringify(bestEffortFailure(what, value, secrets)));
  return undefined;
}
