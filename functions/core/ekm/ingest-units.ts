import { ValidationError } from '../errors';

/**
 * Fan-out of scheduled ingest: one unit of work per EKM key alias, sent as one queue message, so
 * one account's failure or slowness never touches another's (handlers/ingest-realtime-worker.ts).
 * The body is JSON with the alias only: never the key itself (the worker resolves it).
 */
export interface IngestUnit {
  readonly keyAlias: string;
}

const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** One unit per alias, sorted and de-duplicated (the schedule's enqueue step). */
export function planIngestUnits(aliases: readonly string[]): IngestUnit[] {
  return [...new Set(aliases)].sort().map((keyAlias) => {
    if (!ALIAS.test(keyAlias))
      throw new ValidationError('keyAlias', `${JSON.stringify(keyAlias)} is not a valid alias (a-z, 0-9, -)`);
    return { keyAlias };
  });
}

/** The message body of a unit. */
export function encodeIngestUnit(unit: IngestUnit): string {
  return JSON.stringify({ keyAlias: unit.keyAlias });
}

/** A unit from a message body, or a ValidationError saying what was received. */
export function parseIngestUnit(body: string): IngestUnit {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ValidationError('message', `expected JSON {"keyAlias": "..."}, got ${JSON.stringify(body.slice(0, 80))}`);
  }
  const alias = (value as { keyAlias?: unknown } | null)?.keyAlias;
  if (typeof alias !== 'string' || !ALIAS.test(alias))
    throw new ValidationError('message.keyAlias', `expected an alias (a-z, 0-9, -), got ${JSON.stringify(alias)}`);
  return { keyAlias: alias };
}
