import type { Command } from 'commander';
import { edgeIngestFromConfig } from '../../functions/composition/edge';
import { loadProjectConfig } from '../../functions/config/project-config';
import { startEdgeIngestServer } from '../../local/aws/edge-ingest-server';
import { EXIT_OK, printResult, reportError } from '../output';

/**
 * `ekm-pipeline edge serve`: the edge ingest endpoint on this machine (the same use-case as the
 * `edge-ingest` Lambda), for sites that run the pipeline themselves. Collectors post to the URL it
 * prints with their gateway token.
 */
export function registerEdge(program: Command): void {
  const edge = program.command('edge').description('Edge collector side of the pipeline (RS-485 gateways)');
  edge
    .command('serve')
    .description('Serve POST /v1/edge/batches on 127.0.0.1 for the gateways in the config (edge.gateways) until Ctrl-C')
    .requiredOption('--config <file>', 'project config with lake, state and edge.gateways')
    .option('--port <n>', 'port to listen on (0 = any free port)', (v) => Number(v), 8787)
    .option('--json', 'print the endpoint as JSON', false)
    .action(async (opts: { config: string; port: number; json: boolean }) => {
      try {
        const config = loadProjectConfig(opts.config);
        const gateways = config.edge?.gateways ?? [];
        const server = await startEdgeIngestServer({
          ingest: await edgeIngestFromConfig(config),
          port: opts.port,
          log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
        });
        printResult(opts, { url: server.url, gateways: gateways.map((g) => g.id) }, () =>
          [
            `edge ingest endpoint: ${server.url}`,
            `gateways: ${gateways.map((g) => `${g.id} (${g.meters.length} meters)`).join(', ') || 'none (add edge.gateways to the config)'}`,
            'Ctrl-C to stop',
          ].join('\n'),
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
        process.exitCode = EXIT_OK;
      } catch (error) {
        process.exitCode = reportError(error);
      }
    });
}
