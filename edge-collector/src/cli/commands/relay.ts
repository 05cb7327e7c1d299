/** `ekm-edge relay`: open or close relay 1 or 2. */

import { asError } from '@ekm-pipeline/shared';
import { type Command, Option } from 'commander';
import { relayCommand } from '../../codec';
import { address, familyOption } from '../options';
import { fail } from '../runtime';
import { writeToMeter } from '../write-command';

export function registerRelay(program: Command): void {
  program
    .command('relay')
    .description('Open or close relay 1 or 2 (password, command, ACK checked, then close)')
    .requiredOption('--port <path>', 'serial port')
    .requiredOption('--meter <address>', 'meter address', address)
    .addOption(new Option('--relay <n>', 'relay number').choices(['1', '2']).makeOptionMandatory())
    .addOption(new Option('--state <state>', 'new state').choices(['open', 'close']).makeOptionMandatory())
    .option('--seconds <n>', 'hold for N seconds, then revert (0 = hold until changed)', (v) => Number(v), 0)
    .option('--password-env <NAME>', 'environment variable holding the meter password (default 00000000)')
    .addOption(familyOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      let command: Uint8Array;
      try {
        command = relayCommand(Number(opts.relay) as 1 | 2, opts.state, opts.seconds);
      } catch (error) {
        return fail(asError(error).message);
      }
      await writeToMeter(opts, command, `relay ${opts.relay} ${opts.state}`);
    });
}
