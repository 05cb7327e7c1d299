import { ValidationError } from '../errors';
import { REALTIME_SHARD_COUNTS } from '../leases';

/**
 * Fan-out of scheduled ingest: one unit of work per EKM key alias, sent as one queue message, so
 * one account's failure or slowness never touches another's (handlers/ingest-realtime-worker.ts).
 * A key with many meters may be split into parts by meter shard (`realtimeShards` in its config):
 * one unit per part, each ingesting the meters whose lake shard for `count` shards is `index`.
 * The body is JSON with the alias (and part) only: never the key itself (the worker resolves it).
 */
export interface IngestUnit {
  readonly keyAlias: string;
  readonly shard?: MeterShard;
}

/** One part of a key's meters: those whose lake shard for `count` shards is `index`. */
export interface MeterShard {
  readonly index: number;
  readonly count: number;
}

/** A key to plan units for: its alias, or its alias and how many parts its realtime ingest is split into. */
export type IngestKeySpec = string | { readonly alias: string; readonly realtimeShards?: number };

const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;

function shardProblem(shard: unknown): string | undefined {
  const s = shard as { index?: unknown; count?: unknown } | null;
  if (typeof s !== 'object' || s === null) return `expected {index, count}, got ${JSON.stringify(shard)}`;
  if (typeof s.count !== 'number' || !REALTIME_SHARD_COUNTS.includes(s.count) || s.count < 2)
    return `count must be one of ${REALTIME_SHARD_COUNTS.slice(1).join(', ')}, got ${JSON.stringify(s.count)}`;
  if (typeof s.index !== 'number' || !Number.isInteger(s.index) || s.index < 0 || s.index >= s.count)
    return `index must be a whole number from 0 to ${s.count - 1}, got ${JSON.stringify(s.index)}`;
  return undefined;
}

/**
 * One unit per alias (one per part for a key split into parts), sorted by alias then part and
 * de-duplicated (the schedule's enqueue step).
 */
export function planIngestUnits(keys: readonly IngestKeySpec[]): IngestUnit[] {
  const shardsOf = new Map<string, number>();
  for (const k of keys) {
    const alias = typeof k === 'string' ? k : k.alias;
    const shards = typeof k === 'string' ? 1 : (k.realtimeShards ?? 1);
    if (!ALIAS.test(alias))
      throw new ValidationError('keyAlias', `${JSON.stringify(alias)} is not a valid alias (a-z, 0-9, -)`);
    if (!REALTIME_SHARD_COUNTS.includes(shards))
      throw new ValidationError(
        'realtimeShards',
        `${alias}: must be one of ${REALTIME_SHARD_COUNTS.join(', ')}, got ${JSON.stringify(shards)}`,
      );
    shardsOf.set(alias, Math.max(shardsOf.get(alias) ?? 1, shards));
  }
  return [...shardsOf.keys()].sort().flatMap((keyAlias) => {
    const count = shardsOf.get(keyAlias) ?? 1;
    if (count === 1) return [{ keyAlias }];
    return Array.from({ length: count }, (_, index) => ({ keyAlias, shard: { index, count } }));
  });
}

/** The message body of a unit. */
export function encodeIngestUnit(unit: IngestUnit): string {
  return JSON.stringify(
    unit.shard
      ? { keyAlias: unit.keyAlias, shard: { index: unit.shard.index, count: unit.shard.count } }
      : { keyAlias: unit.keyAlias },
  );
}

/** A unit from a message body, or a ValidationError saying what was received. */
export function parseIngestUnit(body: string): IngestUnit {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ValidationError('message', `expected JSON {"keyAlias": "..."}, got ${JSON.stringify(body.slice(0, 80))}`);
  }
  const v = value as { keyAlias?: unknown; shard?: unknown } | null;
  const alias = v?.keyAlias;
  if (typeof alias !== 'string' || !ALIAS.test(alias))
    throw new ValidationError('message.keyAlias', `expected an alias (a-z, 0-9, -), got ${JSON.stringify(alias)}`);
  if (v?.shard === undefined) return { keyAlias: alias };
  const problem = shardProblem(v.shard);
  if (problem) throw new ValidationError('message.shard', problem);
  const shard = v.shard as MeterShard;
  return { keyAlias: alias, shard: { index: shard.index, count: shard.count } };
}
