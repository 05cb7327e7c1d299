import { INTERVAL_MS, type PeriodGrid, type RegisterRead } from '../../functions/core/billing/model';
import {
  intervalUsage,
  isReadSeries,
  MAX_MEASURED_GAP_MS,
  meterUsage,
  occupiedDays,
  SOURCE_GAP,
  SOURCE_MEASURED,
  SOURCE_PROFILE,
  toReadSeries,
} from '../../functions/core/billing/usage';

/** A grid built independently of calendar.ts (Intl per interval): enough for usage, which reads only the grid. */
function grid(timezone: string, firstDate: string, lastDate: string): PeriodGrid {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
    weekday: 'short',
  });
  const parts = (ms: number) => {
    const p = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), weekday: p.weekday as string };
  };
  // Local midnight of a date: scan 15-minute steps around UTC midnight (test-only, slow is fine).
  const midnight = (date: string) => {
    const base = Date.parse(`${date}T00:00:00Z`);
    for (let ms = base - 16 * 3600_000; ms <= base + 16 * 3600_000; ms += INTERVAL_MS) {
      const p = parts(ms);
      if (p.date === date && p.hour === 0) return ms;
    }
    throw new Error('no midnight');
  };
  const next = new Date(Date.parse(`${lastDate}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const startMs = midnight(firstDate);
  const endMs = midnight(next);
  const count = (endMs - startMs) / INTERVAL_MS;
  const localMonth = new Uint8Array(count);
  const localHour = new Uint8Array(count);
  const weekend = new Uint8Array(count);
  const dayIndex = new Uint16Array(count);
  const dates: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = parts(startMs + i * INTERVAL_MS);
    if (dates[dates.length - 1] !== p.date) dates.push(p.date);
    dayIndex[i] = dates.length - 1;
    localHour[i] = p.hour;
    localMonth[i] = Number(p.date.slice(5, 7)) - 1;
    weekend[i] = p.weekday === 'Sat' || p.weekday === 'Sun' ? 1 : 0;
  }
  return { timezone, firstDate, lastDate, startMs, endMs, count, localMonth, localHour, weekend, dayIndex, dates };
}

const ms = (iso: string) => Date.parse(iso);
const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

/** Reads every `stepMin` minutes at a constant `kW`, starting at `startIso` with register `start`. */
function steadyReads(startIso: string, endIso: string, stepMin: number, kW: number, start = 1000): RegisterRead[] {
  const out: RegisterRead[] = [];
  for (let t = ms(startIso); t <= ms(endIso); t += stepMin * 60_000) {
    out.push({ timeMs: t, kWhTot: start + (kW * (t - ms(startIso))) / 3_600_000 });
  }
  return out;
}

describe('usage from register reads', () => {
  const day = grid('UTC', '2026-03-02', '2026-03-02');

  it('interpolates the register at interval boundaries when reads are off the grid', () => {
    // Prepare: reads at :07 past each quarter, 4 kW steady → 1 kWh per interval
    const reads = steadyReads('2026-03-01T23:52:00Z', '2026-03-03T00:07:00Z', 15, 4);
    // Act
    const u = intervalUsage(day, [{ meter: '000300000001', reads }]);
    // Assess
    expect(u.kWh.length).toBe(96);
    for (const e of u.kWh) expect(e).toBeCloseTo(1, 9);
    expect(u.flags).toEqual([]);
    expect(u.estimated.every((x) => x === 0)).toBe(true);
  });

  it('takes the month total as the exact register difference, whatever the read pattern', () => {
    // Prepare: irregular reads (1 to 14 minutes apart), irregular load
    const reads: RegisterRead[] = [];
    let t = ms('2026-03-01T23:50:00Z');
    let reg = 500;
    let k = 0;
    while (t < ms('2026-03-03T00:10:00Z')) {
      reads.push({ timeMs: t, kWhTot: reg });
      const step = 60_000 * (1 + ((k * 7) % 14));
      reg += ((k % 5) + 0.3) * 0.05;
      t += step;
      k++;
    }
    const at = (x: number) => {
      const i = reads.findIndex((r) => r.timeMs > x);
      const a = reads[i - 1]!;
      const b = reads[i]!;
      return a.kWhTot + ((b.kWhTot - a.kWhTot) * (x - a.timeMs)) / (b.timeMs - a.timeMs);
    };
    // Act
    const u = intervalUsage(day, [{ meter: '000300000001', reads }]);
    // Assess
    expect(sum(u.kWh)).toBeCloseTo(at(day.endMs) - at(day.startMs), 9);
    expect(u.kWh[10]).toBeCloseTo(at(day.startMs + 11 * INTERVAL_MS) - at(day.startMs + 10 * INTERVAL_MS), 9);
  });

  it('spreads a long gap evenly and flags it estimated, with its local dates', () => {
    // Prepare: 15-minute reads with 3 hours missing (10:00 → 13:00) during which 6 kWh flowed
    const reads = steadyReads('2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z', 15, 4).filter(
      (r) => r.timeMs <= ms('2026-03-02T10:00:00Z') || r.timeMs >= ms('2026-03-02T13:00:00Z'),
    );
    // Act
    const m = meterUsage(day, { meter: '000300000001', reads });
    const u = intervalUsage(day, [{ meter: '000300000001', reads }]);
    // Assess
    expect(sum(u.kWh)).toBeCloseTo(96, 9);
    expect(m.source.slice(40, 52).every((s) => s === SOURCE_GAP)).toBe(true);
    expect(m.source[39]).toBe(SOURCE_MEASURED);
    expect(m.source[52]).toBe(SOURCE_MEASURED);
    const flag = u.flags.find((f) => f.code === 'ESTIMATED_USAGE');
    expect(flag?.dates).toEqual(['2026-03-02']);
    expect(flag?.meter).toBe('000300000001');
    expect(flag?.message).toMatch(/12 of 96 intervals estimated/);
  });

  it('does not flag gaps up to the documented limit', () => {
    const reads = steadyReads('2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z', MAX_MEASURED_GAP_MS / 60_000, 4);
    const u = intervalUsage(day, [{ meter: '000300000001', reads }]);
    expect(u.flags).toEqual([]);
    expect(sum(u.kWh)).toBeCloseTo(96, 9);
  });

  it('estimates a stretch with no reads at the end of the period from the weekday/hour profile, and flags it', () => {
    // Prepare: two weeks, load 1 kWh/interval by day, 2 kWh/interval from 18:00; reads stop on day 13 at 12:00
    const g = grid('UTC', '2026-03-02', '2026-03-15');
    const reads: RegisterRead[] = [];
    let reg = 0;
    for (let t = g.startMs; t <= ms('2026-03-14T12:00:00Z'); t += INTERVAL_MS) {
      reads.push({ timeMs: t, kWhTot: reg });
      reg += new Date(t).getUTCHours() >= 18 ? 2 : 1;
    }
    // Act
    const m = meterUsage(g, { meter: '000300000002', reads });
    const u = intervalUsage(g, [{ meter: '000300000002', reads }]);
    // Assess: Saturday 14th 19:00 and Sunday 15th 20:00 come from last week's Saturday/Sunday at those hours
    const i = (iso: string) => (ms(iso) - g.startMs) / INTERVAL_MS;
    expect(m.source[i('2026-03-14T19:00:00Z')]).toBe(SOURCE_PROFILE);
    expect(u.kWh[i('2026-03-14T19:00:00Z')]).toBeCloseTo(2, 9);
    expect(u.kWh[i('2026-03-15T08:00:00Z')]).toBeCloseTo(1, 9);
    expect(u.kWh[i('2026-03-14T11:45:00Z')]).toBeCloseTo(1, 9);
    const codes = u.flags.map((f) => f.code).sort();
    expect(codes).toEqual(['ESTIMATED_USAGE', 'PARTIAL_COVERAGE']);
    expect(u.flags.find((f) => f.code === 'ESTIMATED_USAGE')?.dates).toEqual(['2026-03-14', '2026-03-15']);
  });

  it('counts 0 and flags NO_READINGS when a meter has no reads at all', () => {
    const u = intervalUsage(day, [{ meter: '000300000003', reads: [] }]);
    expect(sum(u.kWh)).toBe(0);
    expect(u.flags.map((f) => f.code)).toEqual(['NO_READINGS']);
    expect(u.estimated.every((x) => x === 1)).toBe(true);
  });

  it.each([
    ['a lasting drop (meter replaced): that step counts 0, counting restarts', [100, 101, 102, 5, 6, 7], 4, 'reset'],
    ['a single low read: dropped', [100, 101, 50, 103, 104, 105], 5, 'dip'],
    ['a single high read: dropped', [100, 101, 999, 103, 104, 105], 5, 'spike'],
  ])('never goes negative on %s', (_name, values, expected, action) => {
    // Prepare: one read per hour over the day's first six hours, nothing else (a 24 h grid would profile-fill)
    const g = grid('UTC', '2026-03-02', '2026-03-02');
    const reads = values.map((v, k) => ({ timeMs: g.startMs + k * 3600_000, kWhTot: v }));
    // Act
    const m = meterUsage(g, { meter: '000300000004', reads });
    const u = intervalUsage(g, [{ meter: '000300000004', reads }]);
    // Assess
    expect(Math.min(...m.kWh)).toBeGreaterThanOrEqual(0);
    expect(sum(m.kWh.subarray(0, 20))).toBeCloseTo(expected, 9);
    expect(m.backwards[0]?.action).toBe(action);
    const flag = u.flags.find((f) => f.code === 'REGISTER_WENT_BACKWARDS');
    expect(flag?.dates).toEqual(['2026-03-02']);
  });

  it('takes forward energy as kWh_Tot − Rev_kWh_Tot and reverse from Rev_kWh_Tot', () => {
    // Prepare: import 3 kWh/interval until noon, export 1 kWh/interval after (EKM total = forward + reverse)
    const reads: RegisterRead[] = [];
    let fwd = 200;
    let rev = 10;
    for (let t = day.startMs; t <= day.endMs; t += INTERVAL_MS) {
      reads.push({ timeMs: t, kWhTot: fwd + rev, revKWhTot: rev });
      if (new Date(t).getUTCHours() < 12) fwd += 3;
      else rev += 1;
    }
    // Act
    const u = intervalUsage(day, [{ meter: '000300000005', reads }]);
    // Assess
    expect(sum(u.kWh)).toBeCloseTo(48 * 3, 9);
    expect(sum(u.revKWh!)).toBeCloseTo(48, 9);
    expect(u.kWh[60]).toBe(0);
    expect(u.revKWh![60]).toBeCloseTo(1, 9);
  });

  it('sums several meters and leaves unoccupied days at 0 without flags', () => {
    // Prepare: a 3-day period, tenant moves in on the 2nd day; meter B has no reads on day 1 (irrelevant)
    const g = grid('UTC', '2026-03-02', '2026-03-04');
    const a = steadyReads('2026-03-02T00:00:00Z', '2026-03-05T00:00:00Z', 15, 4);
    const b = steadyReads('2026-03-03T00:00:00Z', '2026-03-05T00:00:00Z', 5, 2);
    const occ = occupiedDays(g, '2026-03-03', undefined)!;
    // Act
    const u = intervalUsage(
      g,
      [
        { meter: '000300000006', reads: a },
        { meter: '000300000007', reads: b },
      ],
      occ,
    );
    // Assess
    expect(occ).toEqual({ firstDay: 1, lastDay: 2, days: 2, daysInPeriod: 3 });
    expect(sum(u.kWh.subarray(0, 96))).toBe(0);
    expect(sum(u.kWh)).toBeCloseTo(2 * 24 * 6, 9);
    expect(u.kWh[100]).toBeCloseTo(1.5, 9);
    expect(u.flags).toEqual([]);
  });

  it('handles a DST day (America/New_York, 2026-03-08 has 92 intervals)', () => {
    // Prepare
    const g = grid('America/New_York', '2026-03-08', '2026-03-08');
    const reads = steadyReads('2026-03-08T04:00:00Z', '2026-03-09T05:00:00Z', 15, 4);
    // Act
    const u = intervalUsage(g, [{ meter: '000300000008', reads }]);
    // Assess
    expect(g.count).toBe(92);
    expect(u.kWh.length).toBe(92);
    expect(sum(u.kWh)).toBeCloseTo(92, 9);
    expect(u.flags).toEqual([]);
  });

  it('returns undefined occupancy when the tenancy misses the period', () => {
    const g = grid('UTC', '2026-03-02', '2026-03-04');
    expect(occupiedDays(g, '2026-04-01')).toBeUndefined();
    expect(occupiedDays(g, undefined, '2026-03-01')).toBeUndefined();
    expect(occupiedDays(g, '2026-03-01', '2026-03-02')).toMatchObject({ firstDay: 0, lastDay: 0, days: 1 });
  });

  it('prices a month of 1-minute reads for 10 meters fast (typed arrays, one pass per meter)', () => {
    const g = grid('UTC', '2026-03-01', '2026-03-31');
    const meters = Array.from({ length: 10 }, (_, k) => ({
      meter: String(300000100 + k).padStart(12, '0'),
      reads: steadyReads('2026-02-28T23:59:00Z', '2026-04-01T00:01:00Z', 1, 1 + k / 10),
    }));
    const t0 = performance.now();
    const u = intervalUsage(g, meters);
    const elapsed = performance.now() - t0;
    expect(sum(u.kWh)).toBeCloseTo(
      meters.reduce((s, _m, k) => s + (1 + k / 10) * 31 * 24, 0),
      4,
    );
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('columnar reads (the lake hand-over)', () => {
  it('gives the same usage, sources, backwards steps and boundaries as the read objects', () => {
    // Prepare: a day and a half of reads with everything the rules handle: a gap, a spike, a dip,
    // a lasting drop, duplicates at one instant, reads out of order, reverse energy missing on some.
    const g = grid('America/New_York', '2026-03-08', '2026-03-09');
    const reads: RegisterRead[] = [];
    let fwd = 500;
    let rev = 20;
    for (let t = g.startMs + 7 * 3600_000; t <= g.endMs + 3600_000; t += 5 * 60_000) {
      if (t > g.startMs + 20 * 3600_000 && t < g.startMs + 23 * 3600_000) continue; // gap
      fwd += 0.3 + ((t / 60_000) % 7) / 20;
      rev += ((t / 60_000) % 3) / 50;
      reads.push((t / 60_000) % 11 === 0 ? { timeMs: t, kWhTot: fwd } : { timeMs: t, kWhTot: fwd, revKWhTot: rev });
    }
    reads[40] = { ...reads[40]!, kWhTot: reads[40]!.kWhTot + 50 }; // spike
    reads[80] = { ...reads[80]!, kWhTot: reads[80]!.kWhTot - 30 }; // dip
    for (let k = 300; k < reads.length; k++) reads[k] = { ...reads[k]!, kWhTot: reads[k]!.kWhTot - 400 }; // reset
    reads.push({ ...reads[100]!, kWhTot: reads[100]!.kWhTot + 0.01 }); // same instant, later wins
    reads.reverse();
    const meter = 'M1' as never;
    // Act
    const fromObjects = meterUsage(g, { meter, reads }, { boundaries: true });
    const series = toReadSeries(reads);
    const fromColumns = meterUsage(g, { meter, reads: series }, { boundaries: true });
    // Assess
    expect(isReadSeries(series)).toBe(true);
    expect(series.revKWhTot).toBeDefined();
    expect(fromColumns).toEqual(fromObjects);
    expect(fromColumns.backwards.map((b) => b.action).sort()).toEqual(
      expect.arrayContaining(['dip', 'reset', 'spike']),
    );
    expect(fromObjects.source.includes(SOURCE_GAP)).toBe(true);
    expect(sum(fromColumns.kWh)).toBeGreaterThan(0);
  });

  it('reads without reverse energy stay without it, and intervalUsage takes either form', () => {
    // Prepare
    const g = grid('UTC', '2026-06-01', '2026-06-02');
    const reads = steadyReads('2026-05-31T23:50:00Z', '2026-06-03T00:10:00Z', 15, 2);
    // Act
    const series = toReadSeries(reads);
    const a = intervalUsage(g, [{ meter: 'M1' as never, reads }]);
    const b = intervalUsage(g, [{ meter: 'M1' as never, reads: series }]);
    // Assess
    expect(series.revKWhTot).toBeUndefined();
    expect(series.timeMs.length).toBe(reads.length);
    expect(b).toEqual(a);
    expect(sum(b.kWh)).toBeCloseTo(2 * 48, 9);
  });
});
