/**
 * Where a secret (EKM key, bearer token, gateway token) is read from; resolved at the last moment,
 * never printed. The one shape every file the product reads uses.
 */
export type SecretRef = { readonly env: string } | { readonly value: string } | { readonly secretsManager: string };

/** The kinds of secret reference, in the order messages list them. */
export const SECRET_REF_KINDS = ['env', 'value', 'secretsManager'] as const;
export type SecretRefKind = (typeof SECRET_REF_KINDS)[number];

/** An environment variable name as `{ env: NAME }` takes it. */
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** How a secret reference is written, for error messages. */
export const SECRET_REF_HINT = '{env: NAME}, {value: "..."} or {secretsManager: ARN}';

/**
 * Check that `raw` is exactly one secret reference. Returns the reference, or what is wrong with it
 * (never quoting a value: someone may have pasted the secret itself in the wrong place).
 */
export function checkSecretRef(
  raw: unknown,
  allowed: readonly SecretRefKind[] = SECRET_REF_KINDS,
): { readonly ref: SecretRef } | { readonly problem: string } {
  const expected = `must be exactly one of ${allowed.map((k) => (k === 'env' ? '{env: NAME}' : k === 'value' ? '{value: "..."}' : '{secretsManager: ARN}')).join(', ')}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problem: expected };
  const keys = Object.keys(raw);
  const kind = keys[0];
  if (keys.length !== 1 || kind === undefined || !(allowed as readonly string[]).includes(kind))
    return { problem: `${expected} (got keys: ${keys.join(', ') || 'none'})` };
  const value = (raw as Record<string, unknown>)[kind];
  if (typeof value !== 'string' || value.trim() === '') return { problem: `${kind} must be a non-empty string` };
  if (kind === 'env') {
    if (!ENV_NAME.test(value)) return { problem: 'env must name an environment variable (A-Z, 0-9, _)' };
    return { ref: { env: value } };
  }
  return { ref: kind === 'value' ? { value } : { secretsManager: value } };
}

/** Which kind of reference `ref` is. */
export function secretRefKind(ref: SecretRef): SecretRefKind {
  return 'env' in ref ? 'env' : 'value' in ref ? 'value' : 'secretsManager';
}

/** How a reference reads in a message: the reference itself, never an inline value. */
export function describeSecretRef(ref: SecretRef): string {
  if ('env' in ref) return `{env: ${ref.env}}`;
  if ('secretsManager' in ref) return `{secretsManager: ${ref.secretsManager}}`;
  return 'an inline {value: …} (not shown)';
}
