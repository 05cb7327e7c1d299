import { Command } from 'commander';
import { version } from '../package.json';
import { commands } from './commands';
import { reportError } from './output';

/** `ekm-pipeline`: one CLI for every capability; each command registers itself in ./commands. */
const program = new Command('ekm-pipeline')
  .description('EKM Push data backbone: lake ingest, trigger sync, edge ingest, local EKM cloud')
  .version(version, '-V, --version')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.exitCode = reportError(error);
});
