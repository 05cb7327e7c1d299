import {
  Exchange,
  type ExchangeAction,
  type ExchangePlan,
  type ExchangeResult,
  type ExchangeTiming,
} from '../protocol/exchange';
import type { ByteLink, Timers } from './byte-link';

/**
 * Drive one Exchange over a ByteLink: write what it asks, arm its timeouts, feed it received bytes,
 * and resolve with its result. All the protocol decisions stay in the pure state machine.
 */
export function runExchange(
  link: ByteLink,
  plan: ExchangePlan,
  timers: Timers,
  timing?: ExchangeTiming,
): Promise<ExchangeResult & { readonly droppedFrames: number }> {
  const exchange = new Exchange(plan, timing);
  return new Promise((resolve, reject) => {
    let timer: unknown;
    let generation = 0;
    let writing: Promise<void> = Promise.resolve();
    const unsubscribe = link.onData((chunk) => apply(exchange.handle({ type: 'bytes', data: chunk })));
    function apply(action: ExchangeAction): void {
      for (const frame of action.write) writing = writing.then(() => link.write(frame));
      if (action.timeoutMs !== undefined || action.done) {
        generation++;
        if (timer !== undefined) timers.clearTimeout(timer);
        timer = undefined;
      }
      if (action.done) {
        unsubscribe();
        const result = { ...action.done, droppedFrames: exchange.scanStats.droppedFrames };
        writing.then(() => resolve(result), reject);
        return;
      }
      if (action.timeoutMs !== undefined) {
        const ms = action.timeoutMs;
        // The timeout counts from when the request has left, not from when it was queued.
        const armed = generation;
        writing.then(() => {
          if (!exchange.finished && armed === generation)
            timer = timers.setTimeout(() => apply(exchange.handle({ type: 'timeout' })), ms);
        }, reject);
      }
    }
    apply(exchange.handle({ type: 'start' }));
  });
}
