/** Option parsers and option definitions shared by several `ekm-edge` commands. */
import { familyOfAddress, familyOfProtocol, isMeterProtocol, padMeterId } from '@ekm-pipeline/shared';
import { InvalidArgumentError, Option } from 'commander';
import type { ExchangeTiming, MeterFamily } from '../protocol/exchange';

/** A meter address of up to 12 digits, returned zero-padded to 12. */
export function address(value: string): string {
  const id = /^\d+$/.test(value) ? padMeterId(value) : undefined;
  if (id === undefined)
    throw new InvalidArgumentError(
      `expected a meter address of up to 12 digits (e.g. 000300001463), got ${JSON.stringify(value)}`,
    );
  return id;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** The family `--family` names, or the one the address implies (a heuristic, so --family wins). */
export function familyOf(addr: string, given?: string): MeterFamily {
  return isMeterProtocol(given) ? familyOfProtocol(given) : familyOfAddress(addr);
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
