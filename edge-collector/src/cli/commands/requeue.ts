/** `ekm-edge requeue`: move refused batches back to the queue. */
import type { Command } from 'commander';
import { loadEdgeConfig } from '../../config';
import { Spool } from '../../uplink/spool';
import { fail } from '../runtime';

export function registerRequeue(program: Command): void {
  program
    .command('requeue')
    .description('Move batches the pipeline refused back to the queue (they upload on the next run or flush)')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--all', 'every refused batch')
    .option(
      '--batch <id>',
      'one refused batch by id (repeatable; ids from `ekm-edge status`)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--json', 'print what was moved as JSON')
    .action((opts: { config: string; all?: boolean; batch?: string[]; json?: boolean }) => {
      if (!opts.all && !opts.batch)
        fail('say which refused batches to requeue: --all or --batch ID (see ekm-edge status)');
      if (opts.all && opts.batch) fail('--all and --batch exclude each other');
      const config = loadEdgeConfig(opts.config);
      const spool = new Spool(config.spool, config.gateway);
      try {
        const known = new Set(spool.refused().map((b) => b.batchId));
        const unknown = (opts.batch ?? []).filter((id) => !known.has(id));
        if (unknown.length > 0)
          fail(
            `no refused batch ${unknown.map((id) => JSON.stringify(id)).join(', ')} in ${config.spool}; see ekm-edge status`,
          );
        const moved = spool.requeue(opts.all ? 'all' : (opts.batch ?? []));
        const readings = moved.reduce((n, b) => n + b.readings, 0);
        const left = spool.stats();
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ batches: moved.length, readings, requeued: moved, spool: left })}\n`,
          );
        else {
          process.stdout.write(
            `requeued ${moved.length} refused batch(es), ${readings} readings; ${left.pending} readings waiting, ${left.rejected} refused batch(es) kept\n`,
          );
          for (const b of moved) process.stdout.write(`  ${b.batchId} (${b.readings} readings; was: ${b.reason})\n`);
        }
      } finally {
        spool.close();
      }
    });
}
