/** `ekm-edge flush`: upload everything in the spool now. */
import type { Command } from 'commander';
import { loadEdgeConfig, resolveToken } from '../../config';
import { HttpUplink } from '../../uplink/http-uplink';
import { Spool } from '../../uplink/spool';
import { authRefusalMessage, flushSpool } from '../../uplink/uploader';
import { realTimers } from '../runtime';

export function registerFlush(program: Command): void {
  program
    .command('flush')
    .description('Upload everything in the spool now (retrying is left to the next run)')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const config = loadEdgeConfig(opts.config);
      const spool = new Spool(config.spool, config.gateway);
      const summary = await flushSpool(
        spool,
        new HttpUplink(config.uplink.endpoint, resolveToken(config, process.env)),
        {
          gateway: config.gateway,
          batchSize: config.uplink.batchSize,
          now: realTimers.now,
        },
      );
      const left = spool.stats();
      spool.close();
      if (summary.authRefused !== undefined)
        process.stderr.write(`error: ${authRefusalMessage(summary.authRefused, summary.backoffMs)}\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...summary, spool: left })}\n`);
      else
        process.stdout.write(
          `uploaded ${summary.readings} readings in ${summary.batches} batches; ${left.pending} left in the spool\n`,
        );
      if (summary.retries > 0) process.exitCode = 1;
    });
}
