/** `ekm-edge simulate`: simulated Omnimeters on a socat pty pair, until stopped. */

import { asError } from '@ekm-pipeline/shared';
import type { Command } from 'commander';
import { openPtyPair } from '../../sim/pty-pair';
import { type FaultMode, SimulatedBus } from '../../sim/simulated-bus';
import { SerialTransport } from '../../transport/serial-transport';
import { address, familyOf, positiveInt } from '../options';
import { fail, realTimers, untilStopped } from '../runtime';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run simulated Omnimeters on a socat pty pair, paced like 9600 baud 7E1, until stopped')
    .requiredOption('--meters <list>', 'comma-separated ADDRESS[:v3|v4], e.g. 000300001463:v4,000000000026:v3')
    .option('--dir <dir>', 'where to create the pty links (default: a new temp folder)')
    .option('--turnaround-ms <ms>', 'modelled meter turnaround', positiveInt, 10)
    .option('--fault <mode:every>', 'fault every Nth reply: silence|noise|bad-crc|truncated, e.g. bad-crc:5')
    .option('--json', 'print the pty paths as JSON')
    .action(async (opts: { meters: string; dir?: string; turnaroundMs: number; fault?: string; json?: boolean }) => {
      const meters = opts.meters.split(',').map((item) => {
        const [addr = '', fam] = item.trim().split(':');
        let a: string;
        try {
          a = address(addr);
        } catch (error) {
          return fail(`--meters: ${asError(error).message}`);
        }
        if (fam !== undefined && !['v3', 'v4', 'v5'].includes(fam))
          fail(`--meters: family ${JSON.stringify(fam)} for ${addr}; use v3, v4 or v5`);
        return { address: a, family: familyOf(a, fam) };
      });
      let fault: { mode: FaultMode; every: number } | undefined;
      if (opts.fault) {
        const m = /^(silence|noise|bad-crc|truncated):(\d+)$/.exec(opts.fault);
        if (!m)
          fail(
            `--fault: got ${JSON.stringify(opts.fault)}; expected MODE:EVERY with MODE silence|noise|bad-crc|truncated, e.g. bad-crc:5`,
          );
        fault = { mode: m[1] as FaultMode, every: Number(m[2]) };
      }
      const pty = await openPtyPair(...(opts.dir ? [opts.dir] : []));
      const meterSide = await SerialTransport.open(pty.meter);
      const bus = new SimulatedBus(meterSide, realTimers, {
        meters,
        turnaroundMs: opts.turnaroundMs,
        ...(fault ? { fault } : {}),
      });
      bus.start();
      const info = { port: pty.bus, meters };
      if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
      else
        process.stdout.write(
          `simulated bus ready on ${pty.bus} (${meters.map((m) => `${m.address}:${m.family}`).join(', ')}); Ctrl-C to stop\n`,
        );
      await untilStopped();
      bus.stop();
      await meterSide.close();
      await pty.close();
      process.stderr.write(`simulator stats: ${JSON.stringify(bus.stats)}\n`);
    });
}
