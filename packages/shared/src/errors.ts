/**
 * Narrow an unknown caught value to an Error (powertools' assertIsError idea): an Error as it is,
 * anything else wrapped with its text. The one narrowing for the pipeline and the edge collector;
 * use it instead of an `as Error` cast, which lies when a string or object was thrown.
 */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
