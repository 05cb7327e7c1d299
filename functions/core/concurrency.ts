/**
 * The one bounded-concurrency helper of the pipeline (lake writes, cursor updates, EKM batches,
 * trigger planning and applying all go through it).
 *
 * Failure semantics:
 * - `limit` must be a positive integer; anything else (0, negative, fractional, NaN) throws a
 *   `RangeError` before any work starts, never a silently empty or `undefined`-filled result.
 * - At most `limit` calls of `fn` are in flight; results keep the input order.
 * - The first failure stops new work: no item is started after a call has rejected.
 * - The returned promise rejects with that first error only after every started call has settled,
 *   so no work is left running behind a failure. Later errors of in-flight calls are dropped.
 * - Callers that need every item attempted and per-item outcomes catch inside `fn`.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** {@link mapLimit} for side effects only: same limit check and failure semantics, no results kept. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  await mapLimit(items, limit, fn);
}

/**
 * Two stages over items in order: `produce` the next item while the previous result is consumed
 * (one of each at a time, so at most two results are alive). Used to fetch a chunk of meters while
 * the one before is written.
 *
 * Failure semantics match {@link mapLimit}: the first failure stops new work, and the returned
 * promise rejects with it only after the work in flight has settled (a consume that failed first
 * wins over a produce that failed while it ran). Nothing keeps running behind a failure.
 */
export async function pipelined<T, R>(
  items: Iterable<T>,
  produce: (item: T) => Promise<R>,
  consume: (result: R, item: T) => Promise<void>,
): Promise<void> {
  // The consume in flight, settled into a value: its failure is thrown at the next await of it,
  // never an unhandled rejection while the next item is produced.
  let consuming: Promise<{ failure?: unknown } | undefined> | undefined;
  const settle = async () => {
    const outcome = await consuming;
    consuming = undefined;
    if (outcome) throw outcome.failure;
  };
  try {
    for (const item of items) {
      const result = await produce(item);
      await settle();
      consuming = consume(result, item).then(
        () => undefined,
        (failure: unknown) => ({ failure }),
      );
    }
  } catch (error) {
    await settle(); // a consume that failed first wins
    throw error;
  }
  await settle();
}
