/**
 * `ekm-edge`: the composition root. The only module that touches process, signals and real
 * timers (CONTRIBUTING.md §5.2); every command builds its adapters here and hands them to pure parts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { CodecError, decodeFrame, type FrameKind, relayCommand, setTimeCommand, WILDCARD_ADDRESS } from './codec';
import { Collector } from './collector';
import { ConfigError, loadEdgeConfig, resolveToken } from './config';
import type { ExchangeTiming, MeterFamily } from './protocol/exchange';
import { readMeter } from './read-meter';
import { openPtyPair } from './sim/pty-pair';
import { type FaultMode, SimulatedBus } from './sim/simulated-bus';
import type { Timers } from './transport/byte-link';
import { runExchange } from './transport/run-exchange';
import { SerialTransport } from './transport/serial-transport';
import { HttpUplink } from './uplink/http-uplink';
import { Spool } from './uplink/spool';
import { authRefusalMessage, flushSpool } from './uplink/uploader';

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

const ADDRESS = /^\d{1,12}$/;

function address(value: string): string {
  if (!ADDRESS.test(value))
    throw new InvalidArgumentError(
      `expected a meter address of up to 12 digits (e.g. 000300001463), got ${JSON.stringify(value)}`,
    );
  return value.padStart(12, '0');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** v4/v5 addresses start at 300000000 in every example seen (docs/rs485-protocol.md §3.1; a heuristic, so --family wins). */
function familyOf(addr: string, given?: string): MeterFamily {
  if (given === 'v3') return 'v3';
  if (given === 'v4' || given === 'v5') return 'v4';
  return Number(addr) >= 300_000_000 ? 'v4' : 'v3';
}

function fail(message: string, code = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

const familyOption = () =>
  new Option('--family <family>', 'meter protocol (default: v4 for addresses >= 300000000)').choices([
    'v3',
    'v4',
    'v5',
  ]);

export function buildProgram(): Command {
  const program = new Command('ekm-edge')
    .description('Read EKM Omnimeters over RS-485, spool readings durably, upload them to ekm-pipeline.')
    .showHelpAfterError();

  program
    .command('decode')
    .description('Check and decode one 255-byte meter reply given as hex')
    .requiredOption('--hex <hex>', 'the whole reply, 510 hex digits')
    .addOption(new Option('--kind <kind>', 'block type (detected when absent)').choices(['v3', 'v4a', 'v4b']))
    .option('--address <address>', 'the address that was requested; a reply from another meter is rejected', address)
    .option('--scale <n>', 'kWh_Scale digit of the preceding A block (needed for a B block)', (v) => {
      if (!/^\d$/.test(v)) throw new InvalidArgumentError(`expected one digit 0-9, got ${JSON.stringify(v)}`);
      return Number(v);
    })
    .option('--json', 'print one JSON object keyed by EKM field names')
    .action((opts: { hex: string; kind?: FrameKind; address?: string; scale?: number; json?: boolean }) => {
      const hex = opts.hex.replace(/\s+/g, '');
      const notHex = /[^0-9a-fA-F]/.exec(hex);
      if (notHex)
        fail(
          `--hex: ${JSON.stringify(notHex[0])} at position ${notHex.index + 1} is not a hex digit (0-9, a-f); pass the frame as hex, e.g. 021024…`,
        );
      if (hex.length % 2 !== 0)
        fail(`--hex: not an even number of hex digits (${hex.length} digits); pass the frame as hex, e.g. 021024…`);
      try {
        const block = decodeFrame(Buffer.from(hex, 'hex'), {
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.address ? { address: opts.address } : {}),
          ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(block.fields)}\n`);
        else {
          process.stdout.write(`${block.kind} block from meter ${block.address}\n`);
          for (const [name, value] of Object.entries(block.fields))
            process.stdout.write(`  ${name.padEnd(24)} ${JSON.stringify(value)}\n`);
        }
      } catch (error) {
        if (error instanceof CodecError) fail(`frame rejected [${error.code}]: ${error.message}`);
        throw error;
      }
    });

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
          return fail(`--meters: ${(error as Error).message}`);
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
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      bus.stop();
      await meterSide.close();
      await pty.close();
      process.stderr.write(`simulator stats: ${JSON.stringify(bus.stats)}\n`);
    });

  const timingFrom = (opts: { retries?: number }): ExchangeTiming => ({
    firstByteMs: 500,
    completeMs: 600,
    retries: opts.retries ?? 2,
  });

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

  const writeAction = async (
    opts: { port: string; meter: string; family?: string; passwordEnv?: string; json?: boolean },
    command: Uint8Array,
    what: string,
  ) => {
    const password = opts.passwordEnv ? process.env[opts.passwordEnv] : '00000000';
    if (!password || !/^\d{8}$/.test(password))
      fail(`--password-env: ${opts.passwordEnv} must hold the 8-digit meter password`);
    const link = await SerialTransport.open(opts.port).catch((e: Error) => fail(e.message));
    const result = await runExchange(
      link,
      { kind: 'write', address: opts.meter, family: familyOf(opts.meter, opts.family), password, command },
      realTimers,
      timingFrom({ retries: 2 }),
    );
    await link.close();
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({ ok: result.ok, meter: opts.meter, what, ...(result.ok ? {} : { failure: result.failure, message: result.message }) })}\n`,
      );
    else if (result.ok) process.stdout.write(`${what} on ${opts.meter}: acknowledged\n`);
    if (!result.ok) fail(`${what} on ${opts.meter} failed [${result.failure}]: ${result.message}`);
  };

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
        return fail((error as Error).message);
      }
      await writeAction(opts, command, `relay ${opts.relay} ${opts.state}`);
    });

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
      await writeAction(opts, command, `set-time ${d.toISOString().slice(0, 19)}`);
    });

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

  program
    .command('status')
    .description('Show what the spool holds: readings waiting, batches in flight, batches the pipeline refused')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--json', 'print the counts as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const config = loadEdgeConfig(opts.config);
      const spool = new Spool(config.spool, config.gateway);
      const stats = {
        gateway: config.gateway,
        spool: config.spool,
        spoolId: spool.spoolId,
        ...spool.stats(),
        refused: spool.refused(),
      };
      spool.close();
      if (opts.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
      else {
        process.stdout.write(
          `${stats.spool} (gateway ${stats.gateway}): ${stats.pending} readings waiting, ${stats.inFlight} batch(es) in flight, ${stats.rejected} refused batch(es) kept\n`,
        );
        for (const b of stats.refused)
          process.stdout.write(
            `  refused ${b.batchId} at ${new Date(b.rejectedMs).toISOString()} (${b.readings} readings): ${b.reason}\n`,
          );
        if (stats.refused.length > 0) process.stdout.write('  (ekm-edge requeue --all puts them back in the queue)\n');
      }
    });

  program
    .command('requeue')
    .description('Move batches the pipeline refused back to the queue (they upload on the next run or flush)')
    .requiredOption('--config <file>', 'edge.yaml')
    .option('--all', 'every refused batch')
    .option(
      '--batch <id>',
      'one refused batch by id (repeatable; ids from `ekm-edge status`)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--json', 'print what was moved as JSON')
    .action((opts: { config: string; all?: boolean; batch?: string[]; json?: boolean }) => {
      if (!opts.all && !opts.batch)
        fail('say which refused batches to requeue: --all or --batch ID (see ekm-edge status)');
      if (opts.all && opts.batch) fail('--all and --batch exclude each other');
      const config = loadEdgeConfig(opts.config);
      const spool = new Spool(config.spool, config.gateway);
      try {
        const known = new Set(spool.refused().map((b) => b.batchId));
        const unknown = (opts.batch ?? []).filter((id) => !known.has(id));
        if (unknown.length > 0)
          fail(
            `no refused batch ${unknown.map((id) => JSON.stringify(id)).join(', ')} in ${config.spool}; see ekm-edge status`,
          );
        const moved = spool.requeue(opts.all ? 'all' : (opts.batch ?? []));
        const readings = moved.reduce((n, b) => n + b.readings, 0);
        const left = spool.stats();
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ batches: moved.length, readings, requeued: moved, spool: left })}\n`,
          );
        else {
          process.stdout.write(
            `requeued ${moved.length} refused batch(es), ${readings} readings; ${left.pending} readings waiting, ${left.rejected} refused batch(es) kept\n`,
          );
          for (const b of moved) process.stdout.write(`  ${b.batchId} (${b.readings} readings; was: ${b.reason})\n`);
        }
      } finally {
        spool.close();
      }
    });

  return program;
}

if (require.main === module || process.env.EKM_EDGE_MAIN === '1') {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      if (error instanceof ConfigError || error instanceof CodecError) fail(error.message);
      fail((error as Error).message ?? String(error));
    });
}
