/** What `relay` and `set-time` share: send one write command (password, command, ACK checked, close). */
import { runExchange } from '../transport/run-exchange';
import { SerialTransport } from '../transport/serial-transport';
import { familyOf, timingFrom } from './options';
import { fail, realTimers } from './runtime';

export interface WriteOptions {
  readonly port: string;
  readonly meter: string;
  readonly family?: string;
  readonly passwordEnv?: string;
  readonly json?: boolean;
}

export async function writeToMeter(opts: WriteOptions, command: Uint8Array, what: string): Promise<void> {
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
}
