/** Option parsers and option definitions shared by several `ekm-edge` commands. */
import { InvalidArgumentError, Option } from 'commander';
import type { ExchangeTiming, MeterFamily } from '../protocol/exchange';

const ADDRESS = /^\d{1,12}$/;

/** A meter address of up to 12 digits, returned zero-padded to 12. */
export function address(value: string): string {
  if (!ADDRESS.test(value))
    throw new InvalidArgumentError(
      `expected a meter address of up to 12 digits (e.g. 000300001463), got ${JSON.stringify(value)}`,
    );
  return value.padStart(12, '0');
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** v4/v5 addresses start at 300000000 in every example seen (docs/rs485-protocol.md §3.1; a heuristic, so --family wins). */
export function familyOf(addr: string, given?: string): MeterFamily {
  if (given === 'v3') return 'v3';
  if (given === 'v4' || given === 'v5') return 'v4';
  return Number(addr) >= 300_000_000 ? 'v4' : 'v3';
}

export const familyOption = () =>
  new Option('--family <family>', 'meter protocol (default: v4 for addresses >= 300000000)').choices([
    'v3',
    'v4',
    'v5',
  ]);

/** Exchange timing for one-off commands (read, relay, set-time). */
export const timingFrom = (opts: { retries?: number }): ExchangeTiming => ({
  firstByteMs: 500,
  completeMs: 600,
  retries: opts.retries ?? 2,
});
