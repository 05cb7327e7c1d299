/**
 * A tariff as a plain-text table for people (`ekm-pipeline tariff show FILE.json`): energy periods
 * and tiers, the weekday and weekend TOU grids, demand, fixed and minimum charges, exports.
 * Period numbers are shown from 1 (URDB index + 1), as on invoices (docs/billing.md, "Tariffs").
 */

import type { Charge, DemandPeriod, MonthHourGrid, Tariff } from './tariff';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Rows of cells → text with left-aligned, space-padded columns. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function price(value: number, unit: string): string {
  return `${+value.toFixed(6)} ${unit}`;
}

function bound(max: number): string {
  return Number.isFinite(max) ? `up to ${+max.toFixed(6)}` : 'above';
}

function grid(title: string, cells: MonthHourGrid): string[] {
  const header = ['', ...Array.from({ length: 24 }, (_, h) => String(h).padStart(2))];
  const rows = cells.map((row, m) => [MONTHS[m] ?? '', ...row.map((p) => String(p + 1).padStart(2))]);
  return [`${title} (month × local hour → period)`, ...table([header, ...rows]).map((l) => `  ${l}`)];
}

function charge(c: Charge, currency: string): string {
  return c.per === 'year'
    ? `${price(c.amount, `${currency}/year`)} (÷ 12 per month)`
    : price(c.amount, `${currency}/${c.per}`);
}

function demandRows(periods: readonly DemandPeriod[], currency: string): string[] {
  const rows: string[][] = [['period', 'tier', 'max kW', 'price']];
  periods.forEach((p, i) => {
    p.tiers.forEach((t, k) => {
      rows.push([k === 0 ? `${i + 1} ${p.label}` : '', String(k + 1), bound(t.max), price(t.price, `${currency}/kW`)]);
    });
  });
  return table(rows).map((l) => `  ${l}`);
}

/** Render `tariff` as a readable text table (periods with tiers, 12 × 24 grids, demand, fixed, minimum). */
export function renderTariffTable(tariff: Tariff): string {
  const cur = tariff.currency;
  const out: string[] = [`Tariff: ${tariff.name}`, `Source: ${tariff.source}`, `Currency: ${cur}`, ''];
  const energy = tariff.energy;
  if (energy) {
    out.push('Energy');
    const rows: string[][] = [['period', 'tier', 'max', 'unit', 'price', 'export credit']];
    energy.periods.forEach((p, i) => {
      p.tiers.forEach((t, k) => {
        rows.push([
          k === 0 ? `${i + 1} ${p.label}` : '',
          String(k + 1),
          bound(t.max),
          t.unit,
          price(t.price, `${cur}/kWh`),
          k === 0 && p.sell !== 0 ? price(p.sell, `${cur}/kWh`) : '',
        ]);
      });
    });
    out.push(...table(rows).map((l) => `  ${l}`), '');
    out.push(...grid('Weekday energy periods', energy.schedule.weekday), '');
    out.push(...grid('Weekend energy periods', energy.schedule.weekend), '');
  } else {
    out.push('Energy: none', '');
  }
  if (tariff.touDemand) {
    out.push('Demand by time of use', ...demandRows(tariff.touDemand.periods, cur), '');
    out.push(...grid('Weekday demand periods', tariff.touDemand.schedule.weekday), '');
    out.push(...grid('Weekend demand periods', tariff.touDemand.schedule.weekend), '');
  }
  if (tariff.flatDemand) {
    const months = tariff.flatDemand.months;
    out.push('Monthly demand', ...demandRows(tariff.flatDemand.periods, cur));
    out.push(`  months → period: ${months.map((p, m) => `${MONTHS[m]} ${p >= 0 ? p + 1 : '-'}`).join(', ')}`, '');
  }
  if (tariff.touDemand || tariff.flatDemand) {
    out.push(`Demand window: ${tariff.demandWindowMinutes} minutes`);
  }
  if (tariff.ratchet) {
    const r = tariff.ratchet;
    const look =
      r.lookback.kind === 'range'
        ? `previous ${r.lookback.months} months`
        : `months ${r.lookback.include.flatMap((on, m) => (on ? [MONTHS[m]] : [])).join(', ')} of the previous twelve`;
    const pct = r.fractionByMonth.map((f, m) => `${MONTHS[m]} ${+(f * 100).toFixed(4)}%`).join(', ');
    out.push(`Ratchet: billing demand ≥ percent × highest peak of the ${look}; ${pct}`);
  }
  out.push(`Fixed charge: ${tariff.fixed.length > 0 ? tariff.fixed.map((c) => charge(c, cur)).join(' + ') : 'none'}`);
  out.push(
    `Minimum charge: ${tariff.minimum.length > 0 ? tariff.minimum.map((c) => charge(c, cur)).join(', the larger of ') : 'none'}`,
  );
  const credits = tariff.energy?.periods.some((p) => p.sell !== 0) ?? false;
  out.push(
    `Exports: ${
      tariff.exports === 'net-metering'
        ? 'net metering (netted per period within the month, surplus at the buy price)'
        : credits
          ? 'net billing (credited at each period’s export credit)'
          : 'not credited (no export credit)'
    }`,
  );
  return `${out.join('\n')}\n`;
}
