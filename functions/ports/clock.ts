/** Time arrives as a value: use-cases take a Clock so tests need no fake timers. */
export interface Clock {
  /** UTC epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
