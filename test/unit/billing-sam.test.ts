import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPeriodGrid, monthDates } from '../../functions/core/billing/calendar';
import type { IntervalUsage } from '../../functions/core/billing/model';
import { rateMonth } from '../../functions/core/billing/rate';
import { parseUrdbRecord } from '../../functions/core/billing/tariff';

const DIR = join(__dirname, '..', 'fixtures', 'billing', 'sam-residential-tou');

interface Expected {
  readonly sam_annual_usd: number;
  readonly monthly_usd_unrounded: readonly number[];
}

/** Register reads every 15 minutes: UTC ms → cumulative kWh_Tot. */
function readRegisters(): Map<number, number> {
  const reads = new Map<number, number>();
  for (const row of readFileSync(join(DIR, 'readings.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [, time, kWh] = row.split(',');
    reads.set(Date.parse(time ?? ''), Number(kWh));
  }
  return reads;
}

/** Interval [t, t + 15 min) used read(t + 15 min) − read(t): consecutive register differences. */
function usageFor(startMs: number, count: number, reads: Map<number, number>): IntervalUsage {
  const kWh = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t = startMs + i * 900_000;
    const a = reads.get(t);
    const b = reads.get(t + 900_000);
    if (a === undefined || b === undefined) throw new Error(`no read around ${new Date(t).toISOString()}`);
    kWh[i] = b - a;
  }
  return { kWh, estimated: new Uint8Array(count), flags: [] };
}

// NREL SAM's Test_Residential_TOU_Rates priced month by month through the real engine (docs/billing.md).
describe('SAM residential TOU reference', () => {
  // Prepare
  const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;
  const tariff = parseUrdbRecord(JSON.parse(readFileSync(join(DIR, 'tariff.urdb.json'), 'utf8')), 'tariff.urdb.json');
  const reads = readRegisters();
  const months = Array.from({ length: 12 }, (_, m) => {
    const { firstDate, lastDate } = monthDates(`2018-${String(m + 1).padStart(2, '0')}`);
    const grid = buildPeriodGrid('UTC', firstDate, lastDate);
    const rated = rateMonth({
      tariff,
      grid,
      usage: usageFor(grid.startMs, grid.count, reads),
      occupancy: { days: grid.dates.length, daysInPeriod: grid.dates.length },
    });
    return rated.lines.reduce((sum, l) => sum + l.amount, 0);
  });

  it.each(expected.monthly_usd_unrounded.map((usd, m) => [m + 1, usd, m]))(
    'bills month %i within a cent of SAM (%f USD)',
    (_month, usd, m) => {
      // Act
      const ours = months[m as number] as number;
      // Assess
      expect(Math.abs(ours - (usd as number))).toBeLessThanOrEqual(0.01);
    },
  );

  it('bills the year within $0.30 of SAM 771.8', () => {
    // Act
    const year = months.reduce((a, b) => a + b, 0);
    // Assess
    expect(Math.abs(year - expected.sam_annual_usd)).toBeLessThanOrEqual(0.3);
  });
});
