import { toReading } from './codec/decode';
import type { EdgeReading } from './codec/reading';
import type { ExchangeResult, ExchangeTiming, MeterFamily } from './protocol/exchange';
import type { ByteLink, Timers } from './transport/byte-link';
import { runExchange } from './transport/run-exchange';

export type ReadOutcome =
  | { readonly ok: true; readonly reading: EdgeReading; readonly attempts: number }
  | {
      readonly ok: false;
      readonly address: string;
      readonly failure: string;
      readonly message: string;
      readonly attempts: number;
    };

/**
 * One full read of one meter (v3 block, or v4 A and optionally B) turned into a reading stamped
 * with the collector's clock at completion.
 */
export async function readMeter(
  link: ByteLink,
  timers: Timers,
  target: { readonly address: string; readonly family: MeterFamily; readonly readB: boolean },
  via: string,
  timing?: ExchangeTiming,
): Promise<ReadOutcome> {
  const result: ExchangeResult = await runExchange(link, { kind: 'read', ...target }, timers, timing);
  if (!result.ok)
    return {
      ok: false,
      address: target.address,
      failure: result.failure,
      message: result.message,
      attempts: result.attempts,
    };
  const reading = toReading({
    primary: result.primary,
    ...(result.b ? { b: result.b } : {}),
    timeMs: timers.now(),
    via,
  });
  return { ok: true, reading, attempts: result.attempts };
}
