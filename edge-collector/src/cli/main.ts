/**
 * `ekm-edge`: the composition root. Only `src/cli/` touches process, signals and real timers
 * (CONTRIBUTING.md §5.2); each command (one file in `commands/`) builds its adapters and hands them
 * to pure parts.
 */

import { asError } from '@ekm-pipeline/shared';
import { Command } from 'commander';
import { CodecError } from '../codec';
import { ConfigError } from '../config';
import { registerDecode } from './commands/decode';
import { registerFlush } from './commands/flush';
import { registerRead } from './commands/read';
import { registerRelay } from './commands/relay';
import { registerRequeue } from './commands/requeue';
import { registerRun } from './commands/run';
import { registerSetTime } from './commands/set-time';
import { registerSimulate } from './commands/simulate';
import { registerStatus } from './commands/status';
import { fail } from './runtime';

export function buildProgram(): Command {
  const program = new Command('ekm-edge')
    .description('Read EKM Omnimeters over RS-485, spool readings durably, upload them to ekm-pipeline.')
    .showHelpAfterError();
  // Registration order is the order `ekm-edge --help` lists the commands in.
  registerDecode(program);
  registerSimulate(program);
  registerRead(program);
  registerRelay(program);
  registerSetTime(program);
  registerRun(program);
  registerFlush(program);
  registerStatus(program);
  registerRequeue(program);
  return program;
}

if (require.main === module || process.env.EKM_EDGE_MAIN === '1') {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      if (error instanceof ConfigError || error instanceof CodecError) fail(error.message);
      fail(asError(error).message);
    });
}
