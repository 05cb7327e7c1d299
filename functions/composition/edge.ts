import { DynamoEdgeReceipts } from '../adapters/dynamo-edge-receipts';
import { DynamoIngestState } from '../adapters/dynamo-ingest-state';
import { dynamoClientFromConfig, ensureStateTable } from '../adapters/dynamo-state-table';
import { S3ObjectStore } from '../adapters/s3-object-store';
import { DefaultSecretResolver } from '../adapters/secret-resolvers';
import type { ProjectConfig } from '../config/project-config';
import type { EdgeGateway } from '../core/edge/edge-batch';
import { checkResolvedTokens } from '../core/edge/gateway-set';
import { ValidationError } from '../core/errors';
import { systemClock } from '../ports/clock';
import type { SecretResolver } from '../ports/secret-resolver';
import { type IngestEdgeBatch, makeIngestEdgeBatch } from '../use-cases/ingest-edge-batch';
import { makeEdgeBatchLake } from '../use-cases/write-readings';

/**
 * Composition of the edge ingest use-case from a project config: shared by the Lambda handler,
 * the local ingest server and `npm start`.
 */

/** Resolve every gateway token of the config (once, at start). */
export async function resolveGateways(config: ProjectConfig, resolver: SecretResolver): Promise<EdgeGateway[]> {
  const gateways = config.edge?.gateways ?? [];
  const resolved = await Promise.all(
    gateways.map(async (g, i) => ({
      id: g.id,
      meters: g.meters,
      token: await resolver.resolve(g.token, `edge.gateways[${i}].token`),
    })),
  );
  // Different references may still hold one secret: compare the values (never printed).
  const issues = checkResolvedTokens(resolved);
  if (issues.length > 0)
    throw new ValidationError(
      config.file,
      `unsafe edge gateways:\n  ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n  ')}`,
    );
  return resolved;
}

/** The use-case wired to the config's lake (S3 / S3-compatible) and state table (DynamoDB). */
export async function edgeIngestFromConfig(
  config: ProjectConfig,
  resolver: SecretResolver = new DefaultSecretResolver(),
  opts: { readonly leaseTtlMs?: number } = {},
): Promise<IngestEdgeBatch> {
  if (!config.lake) throw new ValidationError(`${config.file}: lake`, 'edge ingest needs a lake section (bucket)');
  if (!config.state)
    throw new ValidationError(`${config.file}: state`, 'edge ingest needs a state section (table) for batch receipts');
  const dynamo = dynamoClientFromConfig(config.state);
  if (config.state.endpoint) await ensureStateTable(dynamo, config.state.table);
  return makeIngestEdgeBatch({
    gateways: await resolveGateways(config, resolver),
    lake: makeEdgeBatchLake({
      objectStore: S3ObjectStore.fromConfig(config.lake),
      ...(config.lake.prefix ? { prefix: config.lake.prefix } : {}),
    }),
    receipts: new DynamoEdgeReceipts(dynamo, config.state.table),
    locks: new DynamoIngestState(dynamo, config.state.table),
    clock: systemClock,
    ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
  });
}

export type { IngestEdgeBatch };
