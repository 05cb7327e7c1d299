/** `ekm-edge read`: read one meter N times back to back. */
import type { Command } from 'commander';
import { WILDCARD_ADDRESS } from '../../codec';
import { readMeter } from '../../read-meter';
import { SerialTransport } from '../../transport/serial-transport';
import { address, familyOf, familyOption, positiveInt, timingFrom } from '../options';
import { fail, realTimers } from '../runtime';

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('Read one meter N times back to back as fast as the bus allows (A and B for v4/v5)')
    .requiredOption('--port <path>', 'serial port (e.g. /dev/ttyUSB0 or a simulator pty)')
    .requiredOption('--meter <address>', 'meter address (12 digits; 999999999999 = the lone meter on the bus)', address)
    .addOption(familyOption())
    .option('--count <n>', 'number of reads', positiveInt, 1)
    .option('--no-b', 'v4/v5: read block A only')
    .option('--via <gateway>', 'gateway id stamped on the readings', 'local')
    .option('--json', 'one JSON reading per line')
    .action(
      async (opts: {
        port: string;
        meter: string;
        family?: string;
        count: number;
        b: boolean;
        via: string;
        json?: boolean;
      }) => {
        const link = await SerialTransport.open(opts.port).catch((e: Error) => fail(e.message));
        const family = familyOf(opts.meter === WILDCARD_ADDRESS ? '300000000' : opts.meter, opts.family);
        let failures = 0;
        const started = Date.now();
        for (let i = 0; i < opts.count; i++) {
          const outcome = await readMeter(
            link,
            realTimers,
            { address: opts.meter, family, readB: opts.b },
            opts.via,
            timingFrom({}),
          );
          if (!outcome.ok) {
            failures++;
            process.stderr.write(`read ${i + 1} failed [${outcome.failure}]: ${outcome.message}\n`);
            continue;
          }
          if (opts.json) process.stdout.write(`${JSON.stringify(outcome.reading)}\n`);
          else {
            const f = outcome.reading.fields;
            process.stdout.write(
              `${new Date(outcome.reading.timeMs).toISOString()} ${outcome.reading.meter} kWh_Tot=${f.kWh_Tot} RMS_Watts_Tot=${f.RMS_Watts_Tot} RMS_Volts_Ln_1=${f.RMS_Volts_Ln_1}\n`,
            );
          }
        }
        await link.close();
        process.stderr.write(`${opts.count - failures}/${opts.count} reads ok in ${Date.now() - started} ms\n`);
        process.exitCode = failures === 0 ? 0 : 1;
      },
    );
}
