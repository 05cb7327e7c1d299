import { forEachLimit, mapLimit, pipelined } from '../../functions/core/concurrency';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mapLimit', () => {
  it.each([[0], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'fails when the limit is %p (a RangeError, and no item is started)',
    async (limit) => {
      // Prepare
      const started: number[] = [];
      // Act
      const run = mapLimit([1, 2, 3], limit, async (n) => {
        started.push(n);
        return n;
      });
      // Assess
      await expect(run).rejects.toThrow(RangeError);
      await expect(run).rejects.toThrow(/positive integer/);
      expect(started).toEqual([]);
    },
  );

  it.each([
    { items: [] as number[], limit: 3, expected: [] as number[] },
    { items: [3, 1, 2], limit: 1, expected: [6, 2, 4] },
    { items: [3, 1, 2], limit: 2, expected: [6, 2, 4] },
    { items: [3, 1, 2], limit: 10, expected: [6, 2, 4] },
  ])('keeps the input order for $items.length items at limit $limit', async ({ items, limit, expected }) => {
    // Act
    const out = await mapLimit(items, limit, async (n) => {
      await sleep(n);
      return n * 2;
    });
    // Assess
    expect(out).toEqual(expected);
  });

  it.each([[1], [2], [4]])('keeps at most %p calls in flight', async (limit) => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    // Act
    await mapLimit([4, 1, 3, 2, 5, 1, 2], limit, async (ms) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(ms);
      inFlight--;
    });
    // Assess
    expect(peak).toBe(limit);
  });

  it('fails with the first error, starts nothing after it and rejects only once the started calls settle', async () => {
    // Prepare: item 1 fails first; items 0 and 2 are in flight then; 3 and 4 are not started yet
    const started: number[] = [];
    const settled: number[] = [];
    const delays = [20, 1, 10, 1, 1];
    // Act
    const run = mapLimit(delays, 3, async (ms, i) => {
      started.push(i);
      await sleep(ms);
      settled.push(i);
      if (i === 1) throw new Error('first');
      if (i === 2) throw new Error('second');
      return i;
    });
    // Assess
    await expect(run).rejects.toThrow('first');
    expect(started.sort()).toEqual([0, 1, 2]);
    expect(settled.sort()).toEqual([0, 1, 2]);
  });
});

describe('forEachLimit', () => {
  it('runs every item when nothing fails', async () => {
    const seen: string[] = [];
    await forEachLimit(['a', 'b', 'c'], 2, async (s) => {
      seen.push(s);
    });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });

  it('fails when the limit is 0', async () => {
    await expect(forEachLimit([1], 0, async () => undefined)).rejects.toThrow(RangeError);
  });

  it('fails with the first error and starts no item after it', async () => {
    const started: number[] = [];
    const run = forEachLimit([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('stop');
    });
    await expect(run).rejects.toThrow('stop');
    expect(started).toEqual([1, 2]);
  });
});

describe('pipelined', () => {
  it('produces the next item while the previous one is consumed, in order, with at most two alive', async () => {
    // Prepare
    const events: string[] = [];
    let alive = 0;
    let maxAlive = 0;
    // Act
    await pipelined(
      [1, 2, 3, 4],
      async (n) => {
        events.push(`produce ${n}`);
        alive++;
        maxAlive = Math.max(maxAlive, alive);
        await sleep(5);
        return n * 10;
      },
      async (r) => {
        events.push(`consume ${r} start`);
        await sleep(20);
        events.push(`consume ${r} end`);
        alive--;
      },
    );
    // Assess: item 2 is produced before item 1's result is consumed to the end.
    expect(events.indexOf('produce 2')).toBeLessThan(events.indexOf('consume 10 end'));
    expect(events.filter((e) => e.endsWith('end'))).toEqual([
      'consume 10 end',
      'consume 20 end',
      'consume 30 end',
      'consume 40 end',
    ]);
    expect(maxAlive).toBe(2);
  });

  it('fails with a consume failure only after the produce in flight settled, and starts nothing more', async () => {
    // Prepare
    const produced: number[] = [];
    let producing = 0;
    // Act
    const run = pipelined(
      [1, 2, 3, 4],
      async (n) => {
        producing++;
        produced.push(n);
        await sleep(30);
        producing--;
        return n;
      },
      async (n) => {
        if (n === 1) throw new Error('write of 1 failed');
      },
    );
    // Assess
    await expect(run).rejects.toThrow('write of 1 failed');
    expect(producing).toBe(0);
    expect(produced).toEqual([1, 2]);
  });

  it('fails with a produce failure only after the consume in flight settled', async () => {
    // Prepare
    let consuming = 0;
    // Act
    const run = pipelined(
      [1, 2],
      async (n) => {
        if (n === 2) throw new Error('fetch of 2 failed');
        return n;
      },
      async () => {
        consuming++;
        await sleep(30);
        consuming--;
      },
    );
    // Assess
    await expect(run).rejects.toThrow('fetch of 2 failed');
    expect(consuming).toBe(0);
  });
});
