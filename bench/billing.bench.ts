/**
 * Tenant billing benchmark (`npm run bench -- billing`). Figures are printed, never asserted.
 * Rating alone, usage already in memory: 10,000 tenants × one 31-day month of 15-minute intervals
 * (July 2026 in America/New_York, 2,976 intervals each, 29.8 M in all) on one core, against a TOU
 * tariff with tiers, TOU and monthly demand, and a fixed charge. Prints the grid build, the rating
 * wall time, intervals per second and peak RSS (`process.resourceUsage().maxRSS`).
 * `--tenants N` changes the tenant count.
 */
import { buildPeriodGrid } from '../functions/core/billing/calendar';
import type { IntervalUsage } from '../functions/core/billing/model';
import { rateMonth } from '../functions/core/billing/rate';
import { parseNativeRates } from '../functions/core/billing/tariff';

const flag = process.argv.indexOf('--tenants');
const TENANTS = flag > 0 ? Number(process.argv[flag + 1]) : 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;
const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

const tariff = parseNativeRates(
  {
    name: 'Bench TOU with tiers, demand and a fixed charge',
    energy: [
      { name: 'Off-peak', tiers: [{ upTo: 500, price: 0.09 }, { price: 0.11 }] },
      { name: 'Mid-peak', tiers: [{ upTo: 500, price: 0.14 }, { price: 0.16 }] },
      { name: 'Peak', tiers: [{ upTo: 500, price: 0.24 }, { price: 0.28 }], sell: 0.04 },
    ],
    schedule: [
      { period: 'Mid-peak', hours: '7-23', days: 'weekdays' },
      { period: 'Peak', months: [6, 7, 8, 9], hours: '15-20', days: 'weekdays' },
    ],
    demand: {
      window: 15,
      periods: [
        { name: 'Any time', price: 0 },
        { name: 'Peak', tiers: [{ upTo: 10, price: 8 }, { price: 12 }] },
      ],
      schedule: [{ period: 'Peak', months: [6, 7, 8, 9], hours: '15-20', days: 'weekdays' }],
      monthly: [{ price: 4.5 }],
    },
    fixed: { amount: 0.35, per: 'day' },
    minimum: { amount: 10, per: 'month' },
  },
  'bench',
);

let t = process.hrtime.bigint();
const grid = buildPeriodGrid('America/New_York', '2026-07-01', '2026-07-31');
const gridS = seconds(t);
const occupancy = { days: grid.dates.length, daysInPeriod: grid.dates.length };

// Usage in memory before timing: a daily shape × a per-tenant scale, with deterministic noise.
t = process.hrtime.bigint();
const usages: IntervalUsage[] = [];
let seed = 12345;
const noise = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
for (let k = 0; k < TENANTS; k++) {
  const kWh = new Float64Array(grid.count);
  const scale = 0.05 + noise() * 0.4;
  for (let i = 0; i < grid.count; i++) {
    const h = grid.localHour[i] as number;
    kWh[i] = scale * (h >= 15 && h < 21 ? 2 : h >= 7 ? 1 : 0.5) * (0.7 + 0.6 * noise());
  }
  usages.push({ kWh, estimated: new Uint8Array(grid.count), flags: [] });
}
const genS = seconds(t);

// Warm-up on 100 tenants (JIT), then the timed run over all of them.
for (let k = 0; k < Math.min(100, TENANTS); k++) {
  rateMonth({ tariff, grid, usage: usages[k] as IntervalUsage, occupancy });
}
gc?.();
t = process.hrtime.bigint();
let lines = 0;
let totalMinor = 0;
for (let k = 0; k < TENANTS; k++) {
  const rated = rateMonth({ tariff, grid, usage: usages[k] as IntervalUsage, occupancy });
  lines += rated.lines.length;
  for (const l of rated.lines) totalMinor += l.amountMinor;
}
const rateS = seconds(t);
const intervals = TENANTS * grid.count;

console.log(
  `grid: ${grid.count} intervals (${grid.timezone} ${grid.firstDate}..${grid.lastDate}) built in ${(gridS * 1000).toFixed(1)} ms`,
);
console.log(`usage generated in memory: ${TENANTS} tenants in ${genS.toFixed(2)} s (not part of the rating figure)`);
console.log(
  `rating: ${TENANTS} tenants, ${intervals.toLocaleString('en-US')} intervals in ${rateS.toFixed(3)} s wall (one core)`,
);
console.log(
  `        ${Math.round(intervals / rateS).toLocaleString('en-US')} intervals/s, ${Math.round(TENANTS / rateS).toLocaleString('en-US')} tenants/s`,
);
console.log(
  `        ${lines} lines, total ${(totalMinor / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' })}`,
);
console.log(
  `peak RSS: ${maxRssMb().toFixed(0)} MB (includes ${((intervals * 9) / 1048576).toFixed(0)} MB of usage arrays)`,
);
