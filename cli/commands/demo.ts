import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_OK, printResult } from '../output';
import { packageRoot } from '../package-root';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole pipeline once on the local stack (what `npm start` does)')
    .option('--serve', 'keep the local stack running after the run', false)
    .option('--json', 'print the run summary as JSON', false)
    .action(async (opts: { serve: boolean; json: boolean }) => {
      const started = Date.now();
      const log = opts.json
        ? (line: string) => process.stderr.write(`${line}\n`)
        : (line: string) => process.stdout.write(`${line}\n`);
      log('ekm-pipeline: running the local pipeline end to end (no AWS or EKM account needed)');
      // Loaded on use: the stages pull in every capability, which `--help` and other commands need not pay for.
      const { runDemo } = require('../../local/demo/run-demo') as typeof import('../../local/demo/run-demo');
      const { demoStages } = require('../../local/demo/stages') as typeof import('../../local/demo/stages');
      const run = await runDemo(demoStages, { rootDir: packageRoot(), serve: opts.serve, log });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      printResult(opts, run, () =>
        run.ok
          ? `Done in ${seconds}s: ${run.stages.length} stages ran. State is in .local/ (delete it to start fresh).`
          : `Failed after ${seconds}s in stage "${run.stages.find((s) => !s.ok)?.name}".`,
      );
      process.exitCode = run.ok ? EXIT_OK : EXIT_FAILURE;
    });
}
