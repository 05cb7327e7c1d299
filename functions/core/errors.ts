/**
 * One error hierarchy for the whole pipeline. Every error carries a stable `code` that callers and
 * scripts can branch on; messages say what was received and what to do, and never hold a secret
 * (run anything user-supplied through {@link redactSecrets} before it reaches a message).
 */
export class EkmPipelineError extends Error {
  override readonly name: string = 'EkmPipelineError';
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Bad configuration or input: names the file/field, the bad value and the fix. */
export class ValidationError extends EkmPipelineError {
  override readonly name = 'ValidationError';
  /** Where the bad value is: a config path (`keys[0].secret`), a CLI flag (`--cnt`) or a query parameter. */
  readonly field: string;
  constructor(field: string, message: string, options?: ErrorOptions) {
    super('VALIDATION', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** Narrow an unknown caught value to an Error (powertools' assertIsError idea). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

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
