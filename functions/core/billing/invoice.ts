/**
 * Invoices of one property for one month (pure), docs/billing.md "Invoices":
 *
 * 1. One grid for the property and month; each meter's usage computed once on it.
 * 2. Per tenant occupying part of the month: occupancy from moveIn/moveOut (both billed), usage of
 *    its meters on the occupied days, the plan version in force, `rateMonth`.
 * 3. Common areas: each common area's meters priced for the whole month with its plan; the rounded
 *    total is split over the tenants billed that month with `splitLargestRemainder`, so the shares
 *    add up to the cent (weights: fixed shares, floor area or kWh, fixed and area weights × the
 *    share of the month occupied).
 * 4. Fees: fixed amounts, then percent fees on the sum of the rounded lines so far.
 * 5. Credits of the month (negative `credit` lines), then taxes on the sum of the rounded lines
 *    (money.ts `taxLines`), and `totalMinor` = the exact sum of the lines.
 */

import { ValidationError } from '../errors';
import type { MeterId } from '../readings/meter-id';
import type {
  BillingFile,
  CommonAreaConfig,
  FeeConfig,
  PlanVersionConfig,
  PropertyConfig,
  TenantConfig,
} from './billing-file';
import { buildPeriodGrid, monthDates } from './calendar';
import type { BillingFlag, Invoice, InvoiceLine, MeterReadList, Occupancy, PeriodGrid, RatedMonth } from './model';
import { minorDigits, splitLargestRemainder, taxLines, toMinor } from './money';
import { rateMonth } from './rate';
import type { Tariff } from './tariff';
import { type MeterUsage, meterUsage, type OccupiedDays, occupiedDays, readSpan, tenantUsage } from './usage';

/** The tariff of a plan for the month, and the version it came from. */
export interface PricedPlan {
  readonly tariff: Tariff;
  readonly version: PlanVersionConfig;
}

export interface PropertyMonthInput {
  readonly billing: BillingFile;
  readonly property: PropertyConfig;
  /** `YYYY-MM`. */
  readonly month: string;
  readonly grid: PeriodGrid;
  /** Tariff in force for the month per plan id (only plans in use need to be present). */
  readonly plans: ReadonlyMap<string, PricedPlan>;
  /** Usage on `grid` per meter of the property. */
  readonly meters: ReadonlyMap<MeterId, MeterUsage>;
  /** Ratchet history per tenant id: peaks of the previous months, most recent first (rate.ts). */
  readonly priorPeaksKw?: ReadonlyMap<string, readonly number[]>;
}

export interface PropertyMonthResult {
  readonly invoices: readonly Invoice[];
  /** Tenants of the property not billed this month, and why (moved out, not yet moved in). */
  readonly notBilled: readonly { readonly tenant: string; readonly reason: string }[];
  /** Common-area costs, and how they were split (minor units per tenant id). */
  readonly commonAreas: readonly {
    readonly id: string;
    readonly kWh: number;
    readonly totalMinor: number;
    readonly shares: Readonly<Record<string, number>>;
  }[];
}

function planOf(input: PropertyMonthInput, planId: string, where: string): PricedPlan {
  const plan = input.plans.get(planId);
  if (!plan)
    throw new ValidationError(
      `${input.billing.file}: ${where}`,
      `no tariff for plan ${planId} in ${input.month} (the plans map is missing it)`,
    );
  return plan;
}

function meterUsages(input: PropertyMonthInput, meters: readonly MeterId[], where: string): MeterUsage[] {
  return meters.map((m) => {
    const u = input.meters.get(m);
    if (!u) throw new ValidationError(`${input.billing.file}: ${where}`, `no usage for meter ${m} in ${input.month}`);
    return u;
  });
}

const sumMinor = (lines: readonly InvoiceLine[]) => lines.reduce((s, l) => s + l.amountMinor, 0);

function feeLines(fees: readonly FeeConfig[], lines: readonly InvoiceLine[], digits: number): InvoiceLine[] {
  const out: InvoiceLine[] = [];
  for (const f of fees) {
    if (f.amount === undefined) continue;
    out.push({
      kind: 'fee',
      description: f.name,
      quantity: 1,
      unit: 'invoice',
      rate: f.amount,
      amount: f.amount,
      amountMinor: toMinor(f.amount, digits),
    });
  }
  const unit = 10 ** digits;
  const baseMinor = sumMinor(lines) + sumMinor(out);
  for (const f of fees) {
    if (f.percent === undefined) continue;
    const exactMinor = (baseMinor * f.percent) / 100;
    out.push({
      kind: 'fee',
      description: `${f.name} (${f.percent}% of ${(baseMinor / unit).toFixed(digits)})`,
      quantity: baseMinor / unit,
      unit: '%',
      rate: f.percent,
      amount: exactMinor / unit,
      amountMinor: toMinor(exactMinor, 0),
    });
  }
  return out;
}

interface TenantMonth {
  readonly tenant: TenantConfig;
  readonly occupied: OccupiedDays;
  readonly plan: PricedPlan;
  readonly rated: RatedMonth;
  readonly usage: ReturnType<typeof tenantUsage>;
}

function splitWeights(area: CommonAreaConfig, billed: readonly TenantMonth[]): number[] {
  const { by, shares } = area.split;
  return billed.map((t) => {
    const part = t.occupied.days / t.occupied.daysInPeriod;
    if (by === 'usage') return t.rated.kWh;
    if (by === 'area') return (t.tenant.area ?? 0) * part;
    return (shares ? (shares[t.tenant.id] ?? 0) : 1) * part;
  });
}

function dailyKWh(grid: PeriodGrid, usage: TenantMonth['usage'], occ: OccupiedDays): Invoice['dailyKWh'] {
  const kWh = new Float64Array(grid.dates.length);
  const est = new Uint8Array(grid.dates.length);
  for (let i = 0; i < grid.count; i++) {
    const d = grid.dayIndex[i]!;
    kWh[d]! += usage.kWh[i]!;
    if (usage.estimated[i]) est[d] = 1;
  }
  const out: { date: string; kWh: number; estimated: boolean }[] = [];
  for (let d = occ.firstDay; d <= occ.lastDay; d++)
    out.push({ date: grid.dates[d]!, kWh: kWh[d]!, estimated: est[d] === 1 });
  return out;
}

/** Price a month of the whole grid (no occupancy) for a common area. */
function rateCommonArea(
  input: PropertyMonthInput,
  area: CommonAreaConfig,
): { rated: RatedMonth; flags: BillingFlag[] } {
  const plan = planOf(input, area.plan, `${area.path}/plan`);
  const all: OccupiedDays = {
    firstDay: 0,
    lastDay: input.grid.dates.length - 1,
    days: input.grid.dates.length,
    daysInPeriod: input.grid.dates.length,
  };
  const usage = tenantUsage(input.grid, meterUsages(input, area.meters, `${area.path}/meters`), all);
  const rated = rateMonth({ tariff: plan.tariff, grid: input.grid, usage, occupancy: all });
  const flags = rated.flags.map((f) => ({ ...f, message: `common area ${area.id}: ${f.message}` }));
  return { rated, flags };
}

/** Bill every tenant of a property occupying part of the month. */
export function billPropertyMonth(input: PropertyMonthInput): PropertyMonthResult {
  const { property, grid, month } = input;
  const digits = minorDigits(property.currency);
  const notBilled: { tenant: string; reason: string }[] = [];
  const billed: TenantMonth[] = [];
  for (const tenant of property.tenants) {
    const occupied = occupiedDays(grid, tenant.moveIn, tenant.moveOut);
    if (!occupied) {
      notBilled.push({
        tenant: tenant.id,
        reason:
          tenant.moveIn !== undefined && tenant.moveIn > grid.lastDate
            ? `moves in ${tenant.moveIn}`
            : `moved out ${tenant.moveOut}`,
      });
      continue;
    }
    const plan = planOf(input, tenant.plan, `${tenant.path}/plan`);
    const usage = tenantUsage(grid, meterUsages(input, tenant.meters, `${tenant.path}/meters`), occupied);
    const prior = input.priorPeaksKw?.get(tenant.id);
    const rated = rateMonth({
      tariff: plan.tariff,
      grid,
      usage,
      occupancy: occupied satisfies Occupancy,
      ...(prior ? { priorPeaksKw: prior } : {}),
    });
    billed.push({ tenant, occupied, plan, rated, usage });
  }

  // Common areas: rounded cost split to the cent over the tenants billed this month.
  const commonLines = billed.map((): InvoiceLine[] => []);
  const commonFlags = billed.map((): BillingFlag[] => []);
  const commonAreas: PropertyMonthResult['commonAreas'][number][] = [];
  for (const area of property.commonAreas) {
    const { rated, flags } = rateCommonArea(input, area);
    const totalMinor = sumMinor(rated.lines);
    const weights = splitWeights(area, billed);
    const shares: Record<string, number> = {};
    if (billed.length > 0) {
      const split = splitLargestRemainder(totalMinor, weights);
      const wSum = weights.reduce((a, b) => a + b, 0);
      billed.forEach((t, k) => {
        const fraction = wSum > 0 ? weights[k]! / wSum : 1 / billed.length;
        const amountMinor = split[k]!;
        shares[t.tenant.id] = amountMinor;
        const label = area.name ?? area.id;
        commonLines[k]!.push({
          kind: 'common_area',
          description: `Common area ${label}: ${+(fraction * 100).toFixed(4)}% (by ${area.split.by}) of ${(totalMinor / 10 ** digits).toFixed(digits)} for ${+rated.kWh.toFixed(3)} kWh`,
          quantity: fraction * 100,
          unit: '%',
          rate: totalMinor / 10 ** digits,
          amount: fraction * (totalMinor / 10 ** digits),
          amountMinor,
        });
        commonFlags[k]!.push(...flags);
      });
    }
    commonAreas.push({ id: area.id, kWh: rated.kWh, totalMinor, shares });
  }

  const invoices = billed.map((t, k): Invoice => {
    const lines: InvoiceLine[] = [...t.rated.lines, ...commonLines[k]!];
    lines.push(...feeLines([...property.fees, ...t.tenant.fees], lines, digits));
    for (const c of t.tenant.credits) {
      if (c.month !== month) continue;
      lines.push({
        kind: 'credit',
        description: c.description,
        quantity: 1,
        unit: 'credit',
        rate: -c.amount,
        amount: -c.amount,
        amountMinor: -toMinor(c.amount, digits),
      });
    }
    lines.push(...taxLines(lines, property.taxes, digits));
    const labels = t.plan.tariff.energy?.periods;
    const planName = property.plans.find((p) => p.id === t.tenant.plan)?.name;
    return {
      property: property.id,
      ...(property.name !== undefined ? { propertyName: property.name } : {}),
      ...(property.address !== undefined ? { propertyAddress: property.address } : {}),
      tenant: t.tenant.id,
      ...(t.tenant.name !== undefined ? { tenantName: t.tenant.name } : {}),
      period: { start: grid.dates[t.occupied.firstDay]!, end: grid.dates[t.occupied.lastDay]! },
      timezone: property.timezone,
      currency: property.currency,
      meters: t.tenant.meters,
      plan: {
        id: t.tenant.plan,
        versionFrom: t.plan.version.from,
        ...(planName !== undefined ? { name: planName } : {}),
      },
      kWh: t.rated.kWh,
      peakKw: t.rated.peakKw,
      lines,
      totalMinor: sumMinor(lines),
      flags: [...t.rated.flags, ...commonFlags[k]!],
      dailyKWh: dailyKWh(grid, t.usage, t.occupied),
      kWhByPeriod: t.rated.kWhByPeriod.map((kWh, p) => ({
        period: p,
        label: labels?.[p]?.label ?? `Period ${p + 1}`,
        kWh,
      })),
    };
  });
  return { invoices, notBilled, commonAreas };
}

/** What {@link priorPeaksKw} needs: the tenant, the tariff in force, and every read of its meters. */
export interface PriorPeaksInput {
  readonly timezone: string;
  /** The month being billed, `YYYY-MM`. */
  readonly month: string;
  readonly tenant: TenantConfig;
  readonly tariff: Tariff;
  readonly reads: ReadonlyMap<MeterId, MeterReadList>;
  /** Grids of earlier months by `YYYY-MM`, shared by the tenants of a property (filled as needed). */
  readonly grids?: Map<string, PeriodGrid>;
}

function previousMonth(month: string, back: number): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 - back;
  const d = new Date(Date.UTC(y, m, 1));
  return d.toISOString().slice(0, 7);
}

/**
 * Ratchet history: the tenant's peak kW in each of the 12 previous months, most recent first, from
 * the readings where they cover that month (every meter has a read at or before its start and at or
 * after its end). Months before move-in or after move-out count 0 kW (no demand of this tenant);
 * months the readings do not cover are left out (holes), and `rateMonth` flags
 * `RATCHET_HISTORY_MISSING` if its ratchet needs them. Undefined when the tariff has no ratchet.
 */
export function priorPeaksKw(input: PriorPeaksInput): number[] | undefined {
  if (!input.tariff.ratchet) return undefined;
  const out: number[] = new Array(12);
  for (let j = 1; j <= 12; j++) {
    const month = previousMonth(input.month, j);
    let grid = input.grids?.get(month);
    if (!grid) {
      const { firstDate, lastDate } = monthDates(month);
      grid = buildPeriodGrid(input.timezone, firstDate, lastDate);
      input.grids?.set(month, grid);
    }
    const occupied = occupiedDays(grid, input.tenant.moveIn, input.tenant.moveOut);
    if (!occupied) {
      out[j - 1] = 0;
      continue;
    }
    const covered = input.tenant.meters.every((m) => {
      const reads = input.reads.get(m);
      if (reads === undefined) return false;
      const span = readSpan(reads);
      return span.count > 0 && span.firstMs <= grid.startMs && span.lastMs >= grid.endMs;
    });
    if (!covered) continue;
    const usage = tenantUsage(
      grid,
      input.tenant.meters.map((m) => meterUsage(grid, { meter: m, reads: input.reads.get(m) ?? [] })),
      occupied,
    );
    const { ratchet: _ignored, ...noRatchet } = input.tariff;
    out[j - 1] = rateMonth({ tariff: noRatchet, grid, usage, occupancy: occupied }).peakKw;
  }
  return out;
}
