import fc from 'fast-check';
import { buildPeriodGrid, monthDates } from '../../functions/core/billing/calendar';
import type { IntervalUsage, PeriodGrid, RatedMonth } from '../../functions/core/billing/model';
import { toMinor } from '../../functions/core/billing/money';
import { periodIndexOf, rateMonth } from '../../functions/core/billing/rate';
import { parseNativeRates, parseUrdbRecord, type Tariff } from '../../functions/core/billing/tariff';
import { ValidationError } from '../../functions/core/errors';

/** June 2026 in UTC: 30 days from a Monday, 22 weekdays, 2,880 intervals. */
const JUNE = buildPeriodGrid('UTC', '2026-06-01', '2026-06-30');
const FULL = { days: 30, daysInPeriod: 30 };

function usage(grid: PeriodGrid, kWhAt: (i: number) => number, revAt?: (i: number) => number): IntervalUsage {
  const kWh = Float64Array.from({ length: grid.count }, (_, i) => kWhAt(i));
  const rev = revAt ? Float64Array.from({ length: grid.count }, (_, i) => revAt(i)) : undefined;
  return { kWh, ...(rev ? { revKWh: rev } : {}), estimated: new Uint8Array(grid.count), flags: [] };
}

const total = (r: RatedMonth) => r.lines.reduce((s, l) => s + l.amount, 0);
const totalMinor = (r: RatedMonth) => r.lines.reduce((s, l) => s + l.amountMinor, 0);
const chargesBeforeMinimum = (r: RatedMonth) => r.lines.reduce((s, l) => (l.kind === 'minimum' ? s : s + l.amount), 0);
const isPeak = (grid: PeriodGrid, i: number) =>
  grid.weekend[i] === 0 && (grid.localHour[i] as number) >= 15 && (grid.localHour[i] as number) < 20;

/** Off-peak 0.10, Peak (weekdays 15-20, all year) 0.30. */
function touRates(extra: Record<string, unknown> = {}): Tariff {
  return parseNativeRates(
    {
      energy: [
        { name: 'Off-peak', price: 0.1 },
        { name: 'Peak', price: 0.3 },
      ],
      schedule: [{ period: 'Peak', hours: '15-20', days: 'weekdays' }],
      ...extra,
    },
    'tou.yaml',
  );
}

/** One period with a 0.20 first tier of `max` in `unit` and 0.10 above (URDB). */
function tiered(max: number, unit: string): Tariff {
  const all = Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => 0));
  return parseUrdbRecord(
    {
      energyratestructure: [[{ max, unit, rate: 0.2 }, { rate: 0.1 }]],
      energyweekdayschedule: all,
      energyweekendschedule: all,
    },
    'tiered.json',
  );
}

describe('rateMonth', () => {
  it('prices each TOU period of the month and labels the lines', () => {
    // Act
    const rated = rateMonth({ tariff: touRates(), grid: JUNE, usage: usage(JUNE, () => 1), occupancy: FULL });
    // Assess
    expect(rated.kWhByPeriod).toEqual([2440, 440]);
    expect(rated.lines.map((l) => [l.description, l.quantity, l.rate, l.amountMinor])).toEqual([
      ['Energy, Off-peak (period 1)', 2440, 0.1, 24400],
      ['Energy, Peak (period 2)', 440, 0.3, 13200],
    ]);
    expect(rated.kWh).toBe(2880);
    expect(rated.peakKw).toBe(4);
    expect(rated.flags).toEqual([]);
  });

  it.each([
    ['kWh', 1000, 0.2 * 1000 + 0.1 * 1880],
    ['kWh daily', 10, 0.2 * 300 + 0.1 * 2580],
    ['kWh/kW', 100, 0.2 * 400 + 0.1 * 2480],
    ['kWh/kW daily', 5, 0.2 * 600 + 0.1 * 2280],
  ])('bounds a tier in %s (max %f)', (unit, max, expected) => {
    // Prepare: 1 kWh every 15 minutes is 2,880 kWh and a 4 kW peak.
    const tariff = tiered(max, unit);
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, () => 1), occupancy: FULL });
    // Assess
    expect(total(rated)).toBeCloseTo(expected, 9);
    expect(rated.lines.map((l) => l.description)).toEqual(['Energy, period 1, tier 1', 'Energy, period 1, tier 2']);
  });

  it('shares every tier pro rata across periods (SAM), not in chronological order', () => {
    // Prepare: Off-peak tiers 100 @ 0.10 then 0.20; Peak tiers 300 @ 0.30 then 0.50; 200 kWh in each.
    const tariff = parseNativeRates(
      {
        energy: [
          { name: 'Off-peak', tiers: [{ upTo: 100, price: 0.1 }, { price: 0.2 }] },
          { name: 'Peak', tiers: [{ upTo: 300, price: 0.3 }, { price: 0.5 }] },
        ],
        schedule: [{ period: 'Peak', hours: '15-20', days: 'weekdays' }],
      },
      'steps.yaml',
    );
    const u = usage(JUNE, (i) => (isPeak(JUNE, i) ? 200 / 440 : 200 / 2440));
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: u, occupancy: FULL });
    // Assess: E(p,k) = E(p)/E × (min(E, max_k) − max_k−1): Off-peak 50 + 150, Peak 150 + 50.
    expect(rated.lines.map((l) => [l.period, l.tier, l.quantity])).toEqual([
      [0, 0, expect.closeTo(50, 9)],
      [0, 1, expect.closeTo(150, 9)],
      [1, 0, expect.closeTo(150, 9)],
      [1, 1, expect.closeTo(50, 9)],
    ]);
    expect(total(rated)).toBeCloseTo(105, 9); // filling tiers in time order would give 110 or 95
  });

  it.each([
    [15, 12],
    [30, 8],
    [60, 6],
  ])('measures demand over a %i-minute window', (windowMinutes, kw) => {
    // Prepare: 3, 1, 1, 1 kWh in four consecutive intervals, nothing else.
    const tariff = parseNativeRates({ demand: { window: windowMinutes, monthly: [{ price: 10 }] } }, 'd.yaml');
    const spike = [3, 1, 1, 1];
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, (i) => spike[i - 100] ?? 0), occupancy: FULL });
    // Assess
    expect(rated.peakKw).toBeCloseTo(kw, 12);
    expect(rated.lines).toEqual([
      expect.objectContaining({ kind: 'demand', description: 'Demand, monthly', quantity: rated.peakKw }),
    ]);
  });

  it('uses 15-minute demand and flags it when the tariff window is shorter', () => {
    // Prepare
    const tariff = parseUrdbRecord(
      { flatdemandstructure: [[{ rate: 10 }]], flatdemandmonths: Array(12).fill(0), demandwindow: 5 },
      'five.json',
    );
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, (i) => (i === 7 ? 3 : 0)), occupancy: FULL });
    // Assess
    expect(rated.peakKw).toBe(12);
    expect(rated.flags.map((f) => f.code)).toEqual(['DEMAND_WINDOW_COARSER']);
  });

  it('prices TOU demand per period through cumulative tiers', () => {
    // Prepare: Peak demand 5 kW @ 10 then 20; Off-peak 2 per kW.
    const tariff = parseNativeRates(
      {
        demand: {
          periods: [
            { name: 'Off-peak', price: 2 },
            { name: 'Peak', tiers: [{ upTo: 5, price: 10 }, { price: 20 }] },
          ],
          schedule: [{ period: 'Peak', hours: '15-20', days: 'weekdays' }],
        },
      },
      'tou-demand.yaml',
    );
    // Act: 3 kWh per interval at peak (12 kW), 1 kWh otherwise (4 kW).
    const rated = rateMonth({
      tariff,
      grid: JUNE,
      usage: usage(JUNE, (i) => (isPeak(JUNE, i) ? 3 : 1)),
      occupancy: FULL,
    });
    // Assess
    expect(rated.lines.map((l) => [l.description, l.quantity, l.amount])).toEqual([
      ['Demand, Off-peak (period 1)', 4, 8],
      ['Demand, Peak (period 2), tier 1', 5, 50],
      ['Demand, Peak (period 2), tier 2', 7, 140],
    ]);
  });

  it('charges flat demand only in the months the tariff names', () => {
    // Prepare
    const tariff = parseNativeRates({ demand: { monthly: [{ months: [6, 7, 8], price: 10 }] } }, 'summer.yaml');
    const may = buildPeriodGrid('UTC', '2026-05-01', '2026-05-31');
    // Act
    const june = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, () => 1), occupancy: FULL });
    const inMay = rateMonth({
      tariff,
      grid: may,
      usage: usage(may, () => 1),
      occupancy: { days: 31, daysInPeriod: 31 },
    });
    // Assess
    expect(total(june)).toBe(40);
    expect(inMay.lines).toEqual([]);
  });

  it('ratchets billing demand over several months', () => {
    // Prepare: 80 % of the highest peak of the previous 11 months, at 10 per kW.
    const tariff = parseNativeRates(
      { demand: { monthly: [{ price: 10 }], ratchet: { percent: 80, months: 11 } } },
      'r.yaml',
    );
    const peaks = [100, 50, 90, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20];
    const history: number[] = [];
    const bills: number[] = [];
    const flags: string[][] = [];
    // Act
    peaks.forEach((kw, m) => {
      const month = `${2025 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
      const { firstDate, lastDate } = monthDates(month);
      const grid = buildPeriodGrid('UTC', firstDate, lastDate);
      const days = grid.dates.length;
      const rated = rateMonth({
        tariff,
        grid,
        usage: usage(grid, (i) => (i === 10 ? kw / 4 : 0)),
        occupancy: { days, daysInPeriod: days },
        priorPeaksKw: [...history],
      });
      history.unshift(rated.peakKw);
      bills.push(total(rated));
      flags.push(rated.flags.map((f) => f.code));
    });
    // Assess: 100 sets the floor at 80 kW for 11 months, then drops out of the lookback.
    expect(bills).toEqual([1000, 800, 900, 800, 800, 800, 800, 800, 800, 800, 800, 800, 720]);
    expect(flags[0]).toEqual(['RATCHET_HISTORY_MISSING']);
    expect(flags[11]).toEqual([]);
  });

  it('ratchets on named calendar months of the previous year', () => {
    // Prepare: 60 % of the summer (June-September) peaks.
    const summer = [false, false, false, false, false, true, true, true, true, false, false, false];
    const tariff = parseUrdbRecord(
      {
        flatdemandstructure: [[{ rate: 10 }]],
        flatdemandmonths: Array(12).fill(0),
        lookbackpercent: 0.6,
        lookbackmonths: summer,
      },
      'r.json',
    );
    const jan = buildPeriodGrid('UTC', '2027-01-01', '2027-01-31');
    // Act: priors most recent first: Dec, Nov, Oct, Sep (50 kW), Aug, Jul, Jun (100 kW), May (500 kW, not summer) …
    const rated = rateMonth({
      tariff,
      grid: jan,
      usage: usage(jan, (i) => (i === 0 ? 1 : 0)),
      occupancy: { days: 31, daysInPeriod: 31 },
      priorPeaksKw: [1, 1, 1, 50, 1, 1, 100, 500, 1, 1, 1, 1],
    });
    // Assess
    expect(total(rated)).toBeCloseTo(600, 9);
    expect(rated.lines[0]?.description).toBe('Demand, monthly (ratchet: 60% of 100 kW)');
  });

  it.each([
    ['month', 30, 1, 30, 'month'],
    ['day', 0.5, 30, 15, 'day'],
    ['year', 120, 1, 10, 'month'],
  ])('charges a fixed charge per %s', (per, amount, quantity, expected, unit) => {
    // Prepare
    const tariff = parseNativeRates({ fixed: { amount, per } }, 'f.yaml');
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, () => 0), occupancy: FULL });
    // Assess
    expect(rated.lines).toEqual([expect.objectContaining({ kind: 'fixed', quantity, unit, amount: expected })]);
  });

  it.each([
    ['month', 50, 25],
    ['day', 1, 15],
    ['year', 600, 25],
  ])('prorates a %s fixed charge, minimum and tier bounds for 15 of 30 days', (per, amount, fixedExpected) => {
    // Prepare: a tenant who moved in on the 16th: 1 kWh per interval for 15 days (1,440 kWh).
    const tariff = parseNativeRates(
      {
        energy: [{ tiers: [{ upTo: 1000, price: 0.2 }, { price: 0.1 }] }],
        fixed: { amount, per },
        minimum: { amount: 1000, per: 'month' },
      },
      'p.yaml',
    );
    const u = usage(JUNE, (i) => ((JUNE.dayIndex[i] as number) >= 15 ? 1 : 0));
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: u, occupancy: { days: 15, daysInPeriod: 30 } });
    // Assess: bound 1000 × 15/30 = 500 kWh; minimum 1000 × 15/30 = 500.
    const energy = rated.lines.filter((l) => l.kind === 'energy').map((l) => l.quantity);
    expect(energy).toEqual([500, 940]);
    expect(rated.lines.find((l) => l.kind === 'fixed')?.amount).toBeCloseTo(fixedExpected, 9);
    expect(totalMinor(rated)).toBe(50_000);
    expect(rated.flags.map((f) => f.code)).toEqual(['PRORATED']);
  });

  it('bills kWh daily bounds over the days billed', () => {
    // Prepare
    const u = usage(JUNE, (i) => ((JUNE.dayIndex[i] as number) < 15 ? 1 : 0));
    // Act
    const rated = rateMonth({
      tariff: tiered(10, 'kWh daily'),
      grid: JUNE,
      usage: u,
      occupancy: { days: 15, daysInPeriod: 30 },
    });
    // Assess: 10 kWh × 15 days at 0.20, the rest at 0.10.
    expect(rated.lines.map((l) => l.quantity)).toEqual([150, 1290]);
  });

  it.each([
    ['$/month', 10, 1000],
    ['$/day', 0.5, 1500],
    ['$/year', 240, 2000],
  ])('adds a minimum line (%s) that brings the total to exactly the minimum', (unit, amount, expectedMinor) => {
    // Prepare: 2.88 kWh at 0.1 is 29 cents.
    const all = Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => 0));
    const tariff = parseUrdbRecord(
      {
        energyratestructure: [[{ rate: 0.1 }]],
        energyweekdayschedule: all,
        energyweekendschedule: all,
        mincharge: amount,
        minchargeunits: unit,
      },
      'min.json',
    );
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, () => 0.001), occupancy: FULL });
    // Assess
    expect(rated.lines.at(-1)).toEqual(expect.objectContaining({ kind: 'minimum', amountMinor: expectedMinor - 29 }));
    expect(totalMinor(rated)).toBe(expectedMinor);
  });

  it('adds no minimum line when the bill is above the minimum', () => {
    // Prepare
    const tariff = touRates({ minimum: { amount: 10 } });
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, () => 1), occupancy: FULL });
    // Assess
    expect(rated.lines.some((l) => l.kind === 'minimum')).toBe(false);
  });

  it('nets imports and exports per period under net metering, crediting surplus at the buy price', () => {
    // Prepare: imports 1 kWh off-peak only; exports 0.5 kWh in every interval.
    const tariff = touRates({ exports: 'net-metering' });
    const u = usage(
      JUNE,
      (i) => (isPeak(JUNE, i) ? 0 : 1),
      () => 0.5,
    );
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: u, occupancy: FULL });
    // Assess: off-peak 2,440 − 1,220 = 1,220 kWh billed; peak 0 − 220 = 220 kWh surplus credited at 0.30.
    expect(rated.lines.map((l) => [l.kind, l.description, l.quantity, l.amount])).toEqual([
      ['energy', 'Energy, Off-peak (period 1)', 1220, expect.closeTo(122, 9)],
      ['credit', 'Net metering credit, Peak (period 2)', 220, expect.closeTo(-66, 9)],
    ]);
    expect(rated.revKWh).toBe(1440);
  });

  it('credits exports at the sell rate under net billing', () => {
    // Prepare
    const tariff = parseNativeRates({ energy: [{ price: 0.1, sell: 0.05 }] }, 'nb.yaml');
    // Act
    const rated = rateMonth({
      tariff,
      grid: JUNE,
      usage: usage(
        JUNE,
        () => 1,
        () => 0.5,
      ),
      occupancy: FULL,
    });
    // Assess
    expect(rated.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([
      ['energy', 2880, expect.closeTo(288, 9)],
      ['credit', 1440, expect.closeTo(-72, 9)],
    ]);
  });

  it.each([
    ['March', '2026-03', 31 * 96 - 4, 440],
    ['November', '2026-11', 30 * 96 + 4, 420],
  ])('prices a %s DST month in New York by local hour', (_name, month, intervals, peakKWh) => {
    // Prepare
    const { firstDate, lastDate } = monthDates(month);
    const grid = buildPeriodGrid('America/New_York', firstDate, lastDate);
    const days = grid.dates.length;
    // Act
    const rated = rateMonth({
      tariff: touRates(),
      grid,
      usage: usage(grid, () => 1),
      occupancy: { days, daysInPeriod: days },
    });
    // Assess: 22 or 21 weekdays × 5 peak hours × 4 kWh.
    expect(rated.kWh).toBe(intervals);
    expect(rated.kWhByPeriod).toEqual([intervals - peakKWh, peakKWh]);
  });

  it('rounds every line once, half away from zero, and keeps the unrounded amount', () => {
    // Prepare
    const tariff = parseNativeRates({ energy: [{ price: 0.125 }] }, 'r.yaml');
    // Act
    const rated = rateMonth({ tariff, grid: JUNE, usage: usage(JUNE, (i) => (i === 0 ? 0.2 : 0)), occupancy: FULL });
    // Assess: 0.2 × 0.125 = 0.025 → 3 cents.
    expect(rated.lines[0]).toEqual(expect.objectContaining({ amount: 0.025, amountMinor: 3 }));
  });

  it('caches the period index per grid and tariff', () => {
    // Prepare
    const tariff = touRates();
    // Act / Assess
    expect(periodIndexOf(tariff, JUNE)).toBe(periodIndexOf(tariff, JUNE));
    expect(periodIndexOf(tariff, JUNE)).toHaveLength(JUNE.count);
  });

  it.each([
    ['usage of another length', { usage: usage(buildPeriodGrid('UTC', '2026-06-01', '2026-06-02'), () => 1) }, 'usage'],
    ['more days occupied than the period has', { occupancy: { days: 31, daysInPeriod: 30 } }, 'occupancy'],
  ])('fails when given %s', (_what, patch, field) => {
    // Act
    let error: unknown;
    try {
      rateMonth({ tariff: touRates(), grid: JUNE, usage: usage(JUNE, () => 1), occupancy: FULL, ...patch });
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('never bills less when usage grows under non-negative, inclining rates', () => {
    // Prepare: two days, two periods, inclining tiers, TOU and flat demand, a fixed charge and a minimum.
    const grid = buildPeriodGrid('UTC', '2026-06-06', '2026-06-07');
    const n = grid.count;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: n, maxLength: n }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 1, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.constantFrom(15, 30, 60),
        (base, extra, p0, step, bound, minimum, window) => {
          const tariff = parseNativeRates(
            {
              energy: [
                { name: 'A', tiers: [{ upTo: bound, price: p0 }, { price: p0 + step }] },
                { name: 'B', tiers: [{ upTo: bound * 2, price: p0 + step }, { price: p0 + 2 * step }] },
              ],
              schedule: [{ period: 'B', hours: '8-20' }],
              demand: {
                window,
                periods: [{ price: step }],
                monthly: [{ tiers: [{ upTo: 3, price: p0 }, { price: p0 + step }] }],
              },
              fixed: { amount: 1, per: 'day' },
              minimum: { amount: minimum },
            },
            'prop.yaml',
          );
          const occupancy = { days: 2, daysInPeriod: 2 };
          // Act
          const before = rateMonth({ tariff, grid, usage: usage(grid, (i) => base[i] as number), occupancy });
          const after = rateMonth({
            tariff,
            grid,
            usage: usage(grid, (i) => (base[i] as number) + (extra[i] as number)),
            occupancy,
          });
          // Assess: the unrounded charges never fall; the rounded total (which the minimum line tops up to
          // the cent) can differ from them only by each line's half-cent rounding.
          expect(chargesBeforeMinimum(after)).toBeGreaterThanOrEqual(chargesBeforeMinimum(before) - 1e-9);
          const roundingSlack = (before.lines.length + after.lines.length) / 2;
          expect(totalMinor(after)).toBeGreaterThanOrEqual(totalMinor(before) - roundingSlack);
          for (const l of after.lines) {
            if (l.kind !== 'minimum') expect(l.amountMinor).toBe(toMinor(l.amount, 2));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
