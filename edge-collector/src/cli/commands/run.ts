/** `ekm-edge run`: poll the bus, spool every reading, upload batches, until SIGTERM. */
import type { Command } from 'commander';
import { Collector } from '../../collector';
import { loadEdgeConfig, resolveToken } from '../../config';
import { SerialTransport } from '../../transport/serial-transport';
import { HttpUplink } from '../../uplink/http-uplink';
import { Spool } from '../../uplink/spool';
import { positiveInt } from '../options';
import { fail, realTimers } from '../runtime';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Poll the bus, spool every reading durably, upload batches to the pipeline (until SIGTERM)')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--max-reads <n>', 'stop after N reads (tests, demos)', positiveInt)
    .action(async (opts: { config: string; maxReads?: number }) => {
      const config = loadEdgeConfig(opts.config);
      const token = resolveToken(config, process.env);
      const spool = new Spool(config.spool, config.gateway);
      const link = await SerialTransport.open(config.port).catch((e: Error) => fail(e.message));
      const collector = new Collector({
        config,
        link,
        timers: realTimers,
        spool,
        uplink: new HttpUplink(config.uplink.endpoint, token),
        log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
      const stop = () => collector.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const stats = await collector.run(opts.maxReads);
      await link.close();
      const left = spool.stats();
      spool.close();
      process.stdout.write(`${JSON.stringify({ ...stats, spool: left })}\n`);
    });
}
