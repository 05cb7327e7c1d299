import { DynamoIngestState } from '../adapters/dynamo-ingest-state';
import { dynamoClientFromConfig } from '../adapters/dynamo-state-table';
import { makeEkmClients } from '../adapters/ekm/clients';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import type { UndiciHttpClientOptions } from '../adapters/undici-http-client';
import { realtimeShardsOf } from '../config/key-alias';
import type { ProjectConfig } from '../config/project-config';
import { ValidationError } from '../core/errors';
import { type Clock, systemClock } from '../ports/clock';
import type { EkmKey } from '../ports/ekm-api';
import type { SecretResolver } from '../ports/secret-resolver';
import { makeCompactLake } from '../use-cases/compact-lake';
import { makeIngestRealtime, makeQuarantineWriter } from '../use-cases/ingest-realtime';
import { makeIngestSummary } from '../use-cases/ingest-summary';
import { makeLakeWriter } from '../use-cases/write-readings';
import { forEachKey } from './for-each-key';

/** Composition root of the lake for handlers, CLI commands and `npm start` (one place builds the adapters). */
export interface LakeWiringOptions {
  /** Meter shards per hour object; part of the layout, keep it stable per deployment (default 1). */
  readonly shards?: number;
  readonly clock?: Clock;
  readonly httpOptions?: UndiciHttpClientOptions;
  /** Meters per realtime ingest chunk (default: from `memoryMb`). */
  readonly chunkMeters?: number;
  /**
   * Memory budget of the process in MB (`--memory-mb`; in Lambda the function's configured memory):
   * sizes the realtime chunks so two in flight fit (core/ekm/realtime-plan.ts). @default 1024
   */
  readonly memoryMb?: number;
}

/** The `lake` and `state` sections of a config, or a ValidationError naming the missing one. */
export function lakeSections(config: ProjectConfig) {
  if (!config.lake)
    throw new ValidationError(
      `${config.file}: /lake`,
      'no lake configured; add lake: { bucket: NAME } (and endpoint for a local S3)',
    );
  if (!config.state)
    throw new ValidationError(
      `${config.file}: /state`,
      'no state table configured; add state: { table: NAME } (and endpoint for DynamoDB Local)',
    );
  return { lake: config.lake, state: config.state };
}

export function openLake(config: ProjectConfig, options: LakeWiringOptions = {}) {
  const { lake, state } = lakeSections(config);
  const clock = options.clock ?? systemClock;
  const shards = options.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1 || shards > 99)
    throw new ValidationError('--shards', `must be an integer 1..99, got ${JSON.stringify(options.shards)}`);
  const objectStore = S3ObjectStore.fromConfig(lake);
  const ingestState = new DynamoIngestState(dynamoClientFromConfig(state), state.table);
  const ekm = makeEkmClients(config.ekm, options.httpOptions);
  // A key whose realtime ingest runs in parts writes one meter shard per part: parts run at once
  // under their own leases, and each merges late reads only into its own compacted day object.
  const shardsOf = (origin: string) => {
    const parts = realtimeShardsOf(config, origin);
    return parts > 1 ? parts : shards;
  };
  const writer = makeLakeWriter({ objectStore, prefix: lake.prefix, clock, shards: shardsOf });
  const deps = {
    account: ekm.account,
    realtime: ekm.realtime,
    summary: ekm.summary,
    lake: writer,
    // Malformed reads are recorded in the quarantine dataset (with reason) instead of failing the run.
    quarantine: makeQuarantineWriter({ objectStore, prefix: lake.prefix ?? '', clock }),
    state: ingestState,
    clock,
    shards,
    realtimeShards: (alias: string) => realtimeShardsOf(config, alias),
    ...(options.chunkMeters ? { chunkMeters: options.chunkMeters } : {}),
    ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}),
  };
  return {
    objectStore,
    state: ingestState,
    ekm,
    writer,
    prefix: lake.prefix ?? '',
    ingestRealtime: makeIngestRealtime(deps),
    ingestSummary: makeIngestSummary(deps),
    compact: makeCompactLake({
      objectStore,
      prefix: lake.prefix,
      state: ingestState,
      clock,
      // A key whose realtime ingest is split into parts: compaction waits for every part's lease.
      realtimeShards: (origin) => realtimeShardsOf(config, origin),
    }),
    /** HTTP attempts sent to EKM so far (including retries). */
    requests: () => ekm.http.stats().requests,
    close: () => ekm.close(),
  };
}

export type LakeWiring = ReturnType<typeof openLake>;

/**
 * A scheduled lake Lambda (`ingest-realtime`, `ingest-summary`): the lake and a run over every
 * configured key (or the one alias asked for), key secrets from Secrets Manager.
 */
export function openLakeJobs(
  config: ProjectConfig,
  secrets: SecretResolver = new DefaultSecretResolver(),
  options: LakeWiringOptions = {},
) {
  const lake = openLake(config, options);
  return {
    lake,
    forEachKey: <T>(job: string, keyAlias: string | undefined, run: (key: EkmKey) => Promise<T>) =>
      forEachKey(job, config, secrets, keyAlias, run),
  };
}
