import {
  chunkMeters,
  findRingGaps,
  HeldReads,
  metersPerChunkForMemory,
  nextCursors,
  planRealtimeRequests,
  possiblyCutMeters,
  SUMMARY_BUCKET_MS,
} from '../../functions/core/ekm/realtime-plan';
import type { MeterId } from '../../functions/core/readings/meter-id';

const m = (n: number) => String(n).padStart(12, '0') as MeterId;
const T = Date.UTC(2026, 10, 25, 10, 0, 0);
const MIN = 60_000;
const opts = { overlapMs: 10 * MIN, ringSize: 1000 };

describe('realtime plan: chunks', () => {
  it.each([
    { size: 2, meters: 5, want: [2, 2, 1] },
    { size: 200, meters: 3, want: [3] },
    { size: 0, meters: 2, want: [1, 1] },
    { size: 3, meters: 0, want: [] },
  ])('chunks $meters meters by $size into $want', ({ size, meters, want }) => {
    const list = Array.from({ length: meters }, (_, i) => ({ meter: m(i), ver: 'v4' as const }));
    expect(chunkMeters(list, size, () => 0).map((c) => c.length)).toEqual(want);
  });

  it('orders by shard, then meter id', () => {
    const list = [m(3), m(1), m(2), m(4)].map((meter) => ({ meter, ver: 'v4' as const }));
    const shard = (meter: string) => Number(meter) % 2;
    expect(chunkMeters(list, 10, shard)[0]!.map((x) => x.meter)).toEqual([m(2), m(4), m(1), m(3)]);
  });
});

describe('realtime plan: requests', () => {
  it.each([
    {
      name: 'fresh meters ask for their whole ring',
      chunk: [{ meter: m(1), ver: 'v4' as const }],
      cursors: [],
      want: [{ meters: [m(1)], ver: 'v4', cnt: 1000 }],
    },
    {
      name: 'cursors in one 15-minute slot share the oldest since (cursor − overlap)',
      chunk: [
        { meter: m(1), ver: 'v4' as const },
        { meter: m(2), ver: 'v4' as const },
      ],
      cursors: [
        [m(1), T + 12 * MIN],
        [m(2), T + 14 * MIN],
      ],
      want: [{ meters: [m(1), m(2)], ver: 'v4', cnt: 1000, sinceMs: T + 2 * MIN }],
    },
    {
      name: 'a meter far behind gets its own request; slots oldest first; v3 before v4',
      chunk: [
        { meter: m(1), ver: 'v4' as const },
        { meter: m(2), ver: 'v4' as const },
        { meter: m(3), ver: 'v3' as const },
      ],
      cursors: [
        [m(1), T + 40 * MIN],
        [m(2), T - 600 * MIN],
      ],
      want: [
        { meters: [m(3)], ver: 'v3', cnt: 1000 },
        { meters: [m(2)], ver: 'v4', cnt: 1000, sinceMs: T - 610 * MIN },
        { meters: [m(1)], ver: 'v4', cnt: 1000, sinceMs: T + 30 * MIN },
      ],
    },
  ])('$name', ({ chunk, cursors, want }) => {
    expect(planRealtimeRequests(chunk, new Map(cursors as [MeterId, number][]), opts)).toEqual(want);
  });
});

describe('realtime plan: gaps and cursors', () => {
  const held = (entries: [MeterId, number[]][]) => {
    const h = new HeldReads();
    for (const [meter, times] of entries) for (const t of times) h.add(meter, t);
    return h.byMeter;
  };

  it.each([
    { name: 'a full ring starting after the cursor', count: 3, oldest: T + 40 * MIN, cursor: T, gap: true },
    { name: 'a full ring reaching back to the cursor', count: 3, oldest: T, cursor: T, gap: false },
    { name: 'a ring that is not full', count: 2, oldest: T + 40 * MIN, cursor: T, gap: false },
    { name: 'a meter without a cursor', count: 3, oldest: T + 40 * MIN, cursor: undefined, gap: false },
  ])('$name: gap = $gap', ({ count, oldest, cursor, gap }) => {
    const times = Array.from({ length: count }, (_, i) => oldest + i * MIN);
    const cursors = new Map<MeterId, number>(cursor === undefined ? [] : [[m(1), cursor]]);
    const gaps = findRingGaps(held([[m(1), times]]), cursors, 3);
    expect(gaps).toEqual(
      gap
        ? [
            {
              meter: m(1),
              fromMs: cursor,
              toMs: oldest,
              startMs: Math.floor(cursor! / SUMMARY_BUCKET_MS) * SUMMARY_BUCKET_MS,
              endMs: Math.ceil(oldest / SUMMARY_BUCKET_MS) * SUMMARY_BUCKET_MS,
            },
          ]
        : [],
    );
  });

  it.each([
    { name: 'moves forward to the newest read', cursor: T, times: [T - MIN, T + 5 * MIN], want: T + 5 * MIN },
    { name: 'never moves back', cursor: T + 9 * MIN, times: [T + MIN], want: undefined },
    { name: 'starts a cursor for a fresh meter', cursor: undefined, times: [T], want: T },
  ])('cursor $name', ({ cursor, times, want }) => {
    const cursors = new Map<MeterId, number>(cursor === undefined ? [] : [[m(1), cursor]]);
    const next = nextCursors(held([[m(1), times]]), cursors, new Set([m(1)]));
    expect(next.get(m(1))).toBe(want);
  });

  it('never moves a cursor of a meter outside the chunk', () => {
    expect(nextCursors(held([[m(9), [T]]]), new Map(), new Set([m(1)])).size).toBe(0);
  });
});

describe('realtime plan: chunk size from a memory budget', () => {
  it.each([
    { memoryMb: 128, ring: 1000, want: 1 },
    { memoryMb: 512, ring: 1000, want: 161 },
    { memoryMb: 1024, ring: 1000, want: 200 },
    { memoryMb: 512, ring: 10, want: 200 },
    { memoryMb: 0, ring: 1000, want: 200 },
    { memoryMb: Number.NaN, ring: 1000, want: 200 },
  ])('$memoryMb MB, ring $ring → $want meters', ({ memoryMb, ring, want }) => {
    expect(metersPerChunkForMemory(memoryMb, ring)).toBe(want);
  });
});

describe('possiblyCutMeters', () => {
  it('names meters that came back with at least half the reads asked for (the answer may have left older ones out)', () => {
    const held = new HeldReads();
    const add = (meter: string, n: number) => {
      for (let i = 0; i < n; i++) held.add(meter as MeterId, i * 60_000);
    };
    add('000300000001', 99);
    add('000300000002', 100);
    add('000300000003', 200);
    expect([...possiblyCutMeters(held.byMeter, 200)].sort()).toEqual(['000300000002', '000300000003']);
  });

  it('sizes chunks for two in flight: half the meters of one', () => {
    expect(metersPerChunkForMemory(512, 200, 2000, 2)).toBe(Math.floor(metersPerChunkForMemory(512, 200, 2000) / 2));
    expect(metersPerChunkForMemory(512, 200, 2000, 2)).toBe(402);
  });
});
