/**
 * Price one tenant's month against one tariff version, following NREL SAM's rules where SAM is a
 * billing reference and a utility's practice where it is not (docs/billing.md, "How a month is priced").
 * One pass over the tenant's intervals; everything per grid (TOU period of each interval) is cached.
 */

import { ValidationError } from '../errors';
import type { BillingFlag, IntervalUsage, InvoiceLine, LineKind, Occupancy, PeriodGrid, RatedMonth } from './model';
import { minorDigits, toMinor } from './money';
import type { DemandTier, EnergyTier, Tariff, TouSchedule } from './tariff';

/** What {@link rateMonth} needs for one tenant and one month. */
export interface RateMonthInput {
  readonly tariff: Tariff;
  readonly grid: PeriodGrid;
  readonly usage: IntervalUsage;
  readonly occupancy: Occupancy;
  /**
   * Peak kW of the previous months, most recent first (`RatedMonth.peakKw` of month − 1, month − 2, …),
   * for ratchets. Missing months count as 0 and raise `RATCHET_HISTORY_MISSING`.
   */
  readonly priorPeaksKw?: readonly number[];
}

const scheduleCache = new WeakMap<PeriodGrid, WeakMap<TouSchedule, Uint8Array>>();

/** Period index of every interval of `grid` under a 12 × 24 weekday/weekend `schedule`; cached per grid. */
export function scheduleIndexOf(schedule: TouSchedule, grid: PeriodGrid): Uint8Array {
  let byGrid = scheduleCache.get(grid);
  if (!byGrid) {
    byGrid = new WeakMap();
    scheduleCache.set(grid, byGrid);
  }
  const cached = byGrid.get(schedule);
  if (cached) return cached;
  // 2 × 12 × 24 lookup table, so each interval is one array read.
  const table = new Uint8Array(576);
  for (let m = 0; m < 12; m++) {
    for (let h = 0; h < 24; h++) {
      table[m * 24 + h] = schedule.weekday[m]?.[h] ?? 0;
      table[288 + m * 24 + h] = schedule.weekend[m]?.[h] ?? 0;
    }
  }
  const { localMonth, localHour, weekend, count } = grid;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = table[(weekend[i] as number) * 288 + (localMonth[i] as number) * 24 + (localHour[i] as number)] as number;
  }
  byGrid.set(schedule, out);
  return out;
}

const EMPTY_SCHEDULE: TouSchedule = { weekday: [], weekend: [] };

/** Energy TOU period index of every interval of `grid` under `tariff` (all 0 without energy rates); cached. */
export function periodIndexOf(tariff: Tariff, grid: PeriodGrid): Uint8Array {
  return scheduleIndexOf(tariff.energy?.schedule ?? EMPTY_SCHEDULE, grid);
}

function periodName(label: string, p: number): string {
  return label === `Period ${p + 1}` ? `period ${p + 1}` : `${label} (period ${p + 1})`;
}

/** kW of each cumulative demand tier a peak of `kw` reaches. */
function demandTierShares(tiers: readonly DemandTier[], kw: number): number[] {
  let lo = 0;
  return tiers.map((t) => {
    const q = Math.max(0, Math.min(kw, t.max) - lo);
    lo = Math.max(lo, t.max);
    return q;
  });
}

/** Monthly tier bounds in kWh (docs/billing.md): units resolved, prorated, kept non-decreasing. */
function energyBounds(tiers: readonly EnergyTier[], share: number, days: number, billingKw: number): number[] {
  let prev = 0;
  return tiers.map((t, k) => {
    if (k === tiers.length - 1) return Number.POSITIVE_INFINITY;
    let b: number;
    switch (t.unit) {
      case 'kWh':
        b = t.max * share;
        break;
      case 'kWh daily':
        b = t.max * days;
        break;
      case 'kWh/kW':
        b = t.max * billingKw * share;
        break;
      case 'kWh/kW daily':
        b = t.max * billingKw * days;
        break;
    }
    prev = Math.max(prev, b);
    return prev;
  });
}

/**
 * Price one month (docs/billing.md, "How a month is priced"): energy per TOU period through tiers
 * shared pro rata over the month's total (SAM), TOU and monthly demand with ratchets, export credits,
 * fixed charges, then a `minimum` line if the bill is below the minimum. Lines keep the unrounded
 * `amount` and its `amountMinor`. `flags` are the usage's flags followed by the rating's own.
 */
export function rateMonth(input: RateMonthInput): RatedMonth {
  const { tariff, grid, usage, occupancy } = input;
  const n = grid.count;
  if (usage.kWh.length !== n || (usage.revKWh && usage.revKWh.length !== n)) {
    throw new ValidationError(
      'usage',
      `has ${usage.kWh.length} intervals, the grid ${n}; build usage on the same grid`,
    );
  }
  const { days, daysInPeriod } = occupancy;
  if (!(daysInPeriod > 0) || !(days >= 0) || days > daysInPeriod) {
    throw new ValidationError(
      'occupancy',
      `days ${days} of ${daysInPeriod}: expected 0 ≤ days ≤ daysInPeriod, daysInPeriod > 0`,
    );
  }
  const share = days / daysInPeriod;
  const digits = minorDigits(tariff.currency);
  const month = Number(grid.firstDate.slice(5, 7)) - 1;
  const flags: BillingFlag[] = [...usage.flags];
  const lines: InvoiceLine[] = [];
  const add = (
    kind: LineKind,
    description: string,
    quantity: number,
    unit: string,
    rate: number,
    amount: number,
    period?: number,
    tier?: number,
  ) => {
    lines.push({
      kind,
      description,
      quantity,
      unit,
      rate,
      amount,
      amountMinor: toMinor(amount, digits),
      ...(period === undefined ? {} : { period }),
      ...(tier === undefined ? {} : { tier }),
    });
  };

  // Demand window: rolling sum of w intervals; kW = kWh sum × 60 / (15 w).
  const windowMinutes = tariff.demandWindowMinutes;
  const w = windowMinutes < 15 ? 1 : Math.round(windowMinutes / 15);
  const kwPerKWh = 4 / w;
  const hasDemand =
    tariff.touDemand !== undefined ||
    tariff.flatDemand !== undefined ||
    (tariff.energy?.periods.some((p) => p.tiers.some((t) => t.unit === 'kWh/kW' || t.unit === 'kWh/kW daily')) ??
      false);
  if (windowMinutes < 15 && hasDemand) {
    flags.push({
      code: 'DEMAND_WINDOW_COARSER',
      message: `the tariff averages demand over ${windowMinutes} minutes; the data is 15-minute, so demand is the 15-minute average`,
    });
  }

  // One pass: kWh per energy period, peak per demand period and overall.
  const energy = tariff.energy;
  const nE = energy ? energy.periods.length : 0;
  const eIdx = periodIndexOf(tariff, grid);
  const eSum = new Float64Array(Math.max(nE, 1));
  const xSum = new Float64Array(Math.max(nE, 1));
  const tou = tariff.touDemand;
  const dIdx = tou ? scheduleIndexOf(tou.schedule, grid) : undefined;
  const dPeak = new Float64Array(tou ? tou.periods.length : 1);
  const kwh = usage.kWh;
  let total = 0;
  let peak = 0;
  if (w === 1) {
    for (let i = 0; i < n; i++) {
      const e = kwh[i] as number;
      total += e;
      const p = eIdx[i] as number;
      eSum[p] = (eSum[p] as number) + e;
      if (e > peak) peak = e;
      if (dIdx) {
        const d = dIdx[i] as number;
        if (e > (dPeak[d] as number)) dPeak[d] = e;
      }
    }
  } else {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = kwh[i] as number;
      total += e;
      const p = eIdx[i] as number;
      eSum[p] = (eSum[p] as number) + e;
      s += e;
      if (i >= w) s -= kwh[i - w] as number;
      // A window counts once it is full, for the period of its last interval.
      if (i >= w - 1) {
        if (s > peak) peak = s;
        if (dIdx) {
          const d = dIdx[i] as number;
          if (s > (dPeak[d] as number)) dPeak[d] = s;
        }
      }
    }
  }
  let totalRev = 0;
  const rev = usage.revKWh;
  if (rev) {
    for (let i = 0; i < n; i++) {
      const x = rev[i] as number;
      totalRev += x;
      const p = eIdx[i] as number;
      xSum[p] = (xSum[p] as number) + x;
    }
  }
  const peakKw = peak * kwPerKWh;

  // Billing demand: the month's peak, raised by a ratchet on earlier months.
  let billingKw = peakKw;
  let ratchetNote = '';
  const ratchet = tariff.ratchet;
  const fraction = ratchet?.fractionByMonth[month] ?? 0;
  if (ratchet && fraction > 0) {
    const prior = input.priorPeaksKw ?? [];
    let lookback = 0;
    let missing = 0;
    for (let j = 0; j < 12; j++) {
      const included =
        ratchet.lookback.kind === 'range'
          ? j < ratchet.lookback.months
          : ratchet.lookback.include[(month + 11 - j) % 12];
      if (!included) continue;
      const kw = prior[j];
      if (kw === undefined) missing++;
      else lookback = Math.max(lookback, kw);
    }
    if (missing > 0) {
      flags.push({
        code: 'RATCHET_HISTORY_MISSING',
        message: `the demand ratchet looks back at ${missing} earlier month(s) with no peak on record; they count as 0 kW`,
      });
    }
    const floor = fraction * lookback;
    if (floor > billingKw) {
      billingKw = floor;
      ratchetNote = ` (ratchet: ${+(fraction * 100).toFixed(4)}% of ${+lookback.toFixed(3)} kW)`;
    }
  }

  // Energy, with SAM's pro-rata tier shares over the month's total.
  const kWhByPeriod: number[] = [];
  if (energy) {
    const billed = new Float64Array(nE);
    let eTotal = 0;
    for (let p = 0; p < nE; p++) {
      kWhByPeriod.push(eSum[p] as number);
      const net = tariff.exports === 'net-metering' ? (eSum[p] as number) - (xSum[p] as number) : (eSum[p] as number);
      billed[p] = Math.max(net, 0);
      eTotal += billed[p] as number;
    }
    energy.periods.forEach((period, p) => {
      const kWh = billed[p] as number;
      if (kWh > 0) {
        const bounds = energyBounds(period.tiers, share, days, billingKw);
        let lo = 0;
        period.tiers.forEach((tier, k) => {
          const hi = bounds[k] as number;
          // A tier holding the whole month gives the period exactly its kWh (no float round trip).
          const segment = Math.max(0, Math.min(eTotal, hi) - lo);
          const q = segment === eTotal ? kWh : (kWh * segment) / eTotal;
          lo = hi;
          if (q > 0) {
            const tierText = period.tiers.length > 1 ? `, tier ${k + 1}` : '';
            add(
              'energy',
              `Energy, ${periodName(period.label, p)}${tierText}`,
              q,
              'kWh',
              tier.price,
              q * tier.price,
              p,
              k,
            );
          }
        });
      }
      const exported = xSum[p] as number;
      if (exported <= 0) return;
      if (tariff.exports === 'net-metering') {
        // Surplus of a period after netting within the month: credited at the period's first-tier price.
        const surplus = exported - (eSum[p] as number);
        const price = period.tiers[0]?.price ?? 0;
        if (surplus > 0 && price !== 0) {
          add(
            'credit',
            `Net metering credit, ${periodName(period.label, p)}`,
            surplus,
            'kWh',
            price,
            -surplus * price,
            p,
          );
        }
      } else if (period.sell !== 0) {
        add(
          'credit',
          `Export credit, ${periodName(period.label, p)}`,
          exported,
          'kWh',
          period.sell,
          -exported * period.sell,
          p,
        );
      }
    });
  }

  // TOU demand: each period's peak through its cumulative tiers.
  if (tou) {
    tou.periods.forEach((period, d) => {
      const kw = (dPeak[d] as number) * kwPerKWh;
      demandTierShares(period.tiers, kw).forEach((q, k) => {
        const tier = period.tiers[k] as DemandTier;
        if (q > 0) {
          const tierText = period.tiers.length > 1 ? `, tier ${k + 1}` : '';
          add('demand', `Demand, ${periodName(period.label, d)}${tierText}`, q, 'kW', tier.price, q * tier.price, d, k);
        }
      });
    });
  }

  // Monthly (flat) demand on the billing demand.
  const flat = tariff.flatDemand;
  const fp = flat?.months[month] ?? -1;
  const flatPeriod = fp >= 0 ? flat?.periods[fp] : undefined;
  if (flatPeriod) {
    demandTierShares(flatPeriod.tiers, billingKw).forEach((q, k) => {
      const tier = flatPeriod.tiers[k] as DemandTier;
      if (q > 0) {
        const tierText = flatPeriod.tiers.length > 1 ? `, tier ${k + 1}` : '';
        add('demand', `Demand, monthly${tierText}${ratchetNote}`, q, 'kW', tier.price, q * tier.price, fp, k);
      }
    });
  }

  // Fixed charges: per month prorated by occupancy, per day × days billed, per year ÷ 12 prorated.
  const prorated = days < daysInPeriod;
  const daysText = prorated ? ` (${days} of ${daysInPeriod} days)` : '';
  for (const charge of tariff.fixed) {
    if (charge.per === 'day')
      add('fixed', `Fixed charge, ${days} days`, days, 'day', charge.amount, charge.amount * days);
    else {
      const rate = charge.per === 'year' ? charge.amount / 12 : charge.amount;
      add('fixed', `Fixed charge${daysText}`, share, 'month', rate, rate * share);
    }
  }

  // Minimum: if the rounded bill is below the floor, a line for the difference (cent-exact, so the
  // invoice total is exactly the minimum).
  let floor = 0;
  for (const charge of tariff.minimum) {
    const monthly =
      charge.per === 'day'
        ? charge.amount * days
        : charge.per === 'year'
          ? (charge.amount / 12) * share
          : charge.amount * share;
    floor = Math.max(floor, monthly);
  }
  if (floor > 0) {
    const floorMinor = toMinor(floor, digits);
    const subtotalMinor = lines.reduce((sum, l) => sum + l.amountMinor, 0);
    if (subtotalMinor < floorMinor) {
      const diffMinor = floorMinor - subtotalMinor;
      const diff = diffMinor / 10 ** digits;
      lines.push({
        kind: 'minimum',
        description: `Minimum charge ${floor.toFixed(digits)}${daysText}: difference to the bill`,
        quantity: 1,
        unit: 'month',
        rate: diff,
        amount: diff,
        amountMinor: diffMinor,
      });
    }
  }

  if (prorated) {
    flags.push({
      code: 'PRORATED',
      message: `occupied ${days} of ${daysInPeriod} days: monthly charges, minimums and tier bounds prorated`,
    });
  }

  return { lines, kWh: total, revKWh: totalRev, peakKw, kWhByPeriod, flags };
}
