import type { Command } from 'commander';
import { DynamoIngestState } from '../../functions/adapters/dynamo-ingest-state';
import { dynamoClientFromConfig } from '../../functions/adapters/dynamo-state-table';
import { keyByAlias } from '../../functions/config/key-alias';
import { EkmPipelineError, ValidationError } from '../../functions/core/errors';
import { systemClock } from '../../functions/ports/clock';
import { makeUnlockRuns, type UnlockResult } from '../../functions/use-cases/unlock-runs';
import { CONFIG_OPTION_HELP, findProjectConfig } from '../config-option';
import { EXIT_FAILURE, EXIT_OK, printResult } from '../output';

const iso = (ms: number) => new Date(ms).toISOString();

function describe(r: UnlockResult): string {
  const lines = r.leases.map((l) => {
    if (l.owner === undefined) return `${l.name}: no lease held`;
    const state = l.expired ? 'expired' : 'active';
    return l.released
      ? `${l.name}: released (held by run ${l.owner}, ${state}, lease until ${iso(l.leaseUntilMs ?? 0)})`
      : `${l.name}: kept (run ${l.owner} renews it until ${iso(l.leaseUntilMs ?? 0)}; it may be working; pass --force if that run is dead)`;
  });
  for (const run of r.runsFailed)
    lines.push(`run ${run.runId} (${run.job}, started ${iso(run.startedAtMs)}): was still "running", now "failed"`);
  if (r.runsFailed.length === 0) lines.push('no run left "running" without its lease');
  return lines.join('\n');
}

/** `ekm-pipeline unlock`: release the run leases of a key alias after a crashed run. */
export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description(
      'Release the ingest run leases of a key alias after a crashed run and mark its runs left "running" as failed',
    )
    .requiredOption('--key-alias <alias>', 'the configured key whose leases to release')
    .option('--force', 'also release a lease that has not expired (only when you know its run is dead)', false)
    .option('--config <path>', CONFIG_OPTION_HELP)
    .option('--json', 'print a JSON document instead of text', false)
    .action(async (opts: { keyAlias: string; force: boolean; config?: string; json: boolean }) => {
      const config = findProjectConfig(opts.config);
      const key = keyByAlias(config, opts.keyAlias);
      const state = config.state;
      if (!state)
        throw new ValidationError(
          `${config.file}: /state`,
          'no state table configured; add state: { table: NAME } (and endpoint for DynamoDB Local)',
        );
      const ddb = dynamoClientFromConfig(state);
      try {
        const result = await makeUnlockRuns({
          state: new DynamoIngestState(ddb, state.table),
          clock: systemClock,
        })({ alias: opts.keyAlias, force: opts.force, realtimeShards: key.realtimeShards ?? 1 });
        printResult(opts, result, () => describe(result));
        if (result.kept.length > 0) {
          if (!opts.json)
            throw new EkmPipelineError(
              'LEASE_ACTIVE',
              `${result.kept.join(', ')} not released: the lease has not expired, so its run may still be working; wait for it, or pass --force if that run is dead`,
            );
          process.exitCode = EXIT_FAILURE;
        } else process.exitCode = EXIT_OK;
      } finally {
        ddb.destroy();
      }
    });
}
