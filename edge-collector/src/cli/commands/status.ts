/** `ekm-edge status`: what the spool holds. */
import type { Command } from 'commander';
import { loadEdgeConfig } from '../../config';
import { Spool } from '../../uplink/spool';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Show what the spool holds: readings waiting, batches in flight, batches the pipeline refused')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--json', 'print the counts as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const config = loadEdgeConfig(opts.config);
      const spool = new Spool(config.spool, config.gateway);
      const stats = {
        gateway: config.gateway,
        spool: config.spool,
        spoolId: spool.spoolId,
        ...spool.stats(),
        refused: spool.refused(),
      };
      spool.close();
      if (opts.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
      else {
        process.stdout.write(
          `${stats.spool} (gateway ${stats.gateway}): ${stats.pending} readings waiting, ${stats.inFlight} batch(es) in flight, ${stats.rejected} refused batch(es) kept\n`,
        );
        for (const b of stats.refused)
          process.stdout.write(
            `  refused ${b.batchId} at ${new Date(b.rejectedMs).toISOString()} (${b.readings} readings): ${b.reason}\n`,
          );
        if (stats.refused.length > 0) process.stdout.write('  (ekm-edge requeue --all puts them back in the queue)\n');
      }
    });
}
