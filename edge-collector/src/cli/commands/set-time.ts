/** `ekm-edge set-time`: set the meter clock. */
import type { Command } from 'commander';
import { setTimeCommand } from '../../codec';
import { address, familyOption } from '../options';
import { fail } from '../runtime';
import { writeToMeter } from '../write-command';

export function registerSetTime(program: Command): void {
  program
    .command('set-time')
    .description('Set the meter clock (UTC unless --time is given; weekday written Sunday = 01)')
    .requiredOption('--port <path>', 'serial port')
    .requiredOption('--meter <address>', 'meter address', address)
    .option('--time <iso>', 'wall-clock time to set, e.g. 2026-01-02T03:04:05 (default: now, UTC)')
    .option('--password-env <NAME>', 'environment variable holding the meter password (default 00000000)')
    .addOption(familyOption())
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const ms = opts.time
        ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(opts.time) ? opts.time : `${opts.time}Z`)
        : Date.now();
      if (Number.isNaN(ms))
        fail(`--time: cannot read ${JSON.stringify(opts.time)}; use ISO 8601, e.g. 2026-01-02T03:04:05`);
      const d = new Date(ms);
      const command = setTimeCommand({
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: d.getUTCSeconds(),
      });
      await writeToMeter(opts, command, `set-time ${d.toISOString().slice(0, 19)}`);
    });
}
