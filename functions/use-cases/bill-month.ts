import {
  type BillingFile,
  type PlanConfig,
  type PlanVersionConfig,
  type PropertyConfig,
  versionInForce,
} from '../core/billing/billing-file';
import { buildPeriodGrid, monthDates } from '../core/billing/calendar';
import { billPropertyMonth, type PricedPlan, type PropertyMonthResult, priorPeaksKw } from '../core/billing/invoice';
import type { Invoice, PeriodGrid } from '../core/billing/model';
import type { ReadingsByMeter } from '../core/billing/readings-csv';
import { parseNativeRates, parseUrdbRecord, type Tariff } from '../core/billing/tariff';
import {
  MAX_PROFILE_SHARE,
  type MeterUsage,
  meterUsage,
  type OccupiedDays,
  occupiedDays,
  profileShare,
  readSpan,
  SOURCE_GAP,
  SOURCE_MEASURED,
} from '../core/billing/usage';
import { EkmPipelineError, ValidationError } from '../core/errors';
import type { MeterId } from '../core/readings/meter-id';
import type { BillingFileSource, ReadingsSource } from '../ports/billing-sources';

export interface BillMonthDeps {
  readonly billing: BillingFileSource;
  readonly readings: ReadingsSource;
  /** Called when a property starts (progress on stderr for long runs). */
  readonly onProperty?: (propertyId: string, index: number, total: number) => void;
}

export interface BillMonthInput {
  /** `YYYY-MM`. */
  readonly month: string;
  /** Bill only this property (`--property`). */
  readonly property?: string;
}

export interface PropertyOutcome {
  readonly property: string;
  readonly ok: boolean;
  /** Why nothing was billed for this property (a ValidationError's message). */
  readonly error?: string;
  readonly invoices: number;
  readonly notBilled: PropertyMonthResult['notBilled'];
  readonly commonAreas: PropertyMonthResult['commonAreas'];
}

export interface BillMonthResult {
  readonly month: string;
  readonly invoices: readonly Invoice[];
  readonly properties: readonly PropertyOutcome[];
  /** True when every selected property was billed. */
  readonly ok: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The tariff a plan version stands for: its URDB record (read relative to the billing file, with
 * the version's override) or its native rates. Errors name the file and the version's pointer.
 */
export async function tariffOfVersion(
  source: BillingFileSource,
  billing: BillingFile,
  version: PlanVersionConfig,
): Promise<Tariff> {
  if (version.urdb !== undefined) {
    const record = await source.urdbRecord(version.urdb, `${version.path}/urdb`);
    return parseUrdbRecord(record, version.urdb, version.override as Record<string, unknown> | undefined);
  }
  return parseNativeRates(version.rates, `${billing.file}: ${version.path}/rates`);
}

/** Every tariff of every plan version of the file, parsed (billing validate); errors collected. */
export async function checkAllTariffs(
  source: BillingFileSource,
  billing: BillingFile,
): Promise<{ versions: number; errors: string[] }> {
  let versions = 0;
  const errors: string[] = [];
  for (const p of billing.properties) {
    for (const plan of p.plans) {
      for (const v of plan.versions) {
        versions++;
        try {
          const tariff = await tariffOfVersion(source, billing, v);
          if (tariff.currency !== p.currency)
            errors.push(
              `${billing.file}: ${v.path}: the tariff prices in ${tariff.currency} but property ${p.id} bills in ${p.currency}`,
            );
        } catch (error) {
          if (error instanceof EkmPipelineError) errors.push(error.message);
          else throw error;
        }
      }
    }
  }
  return { versions, errors };
}

function plansInUse(property: PropertyConfig, firstDate: string, lastDate: string): PlanConfig[] {
  const ids = new Set<string>();
  for (const t of property.tenants) {
    if ((t.moveIn ?? '') <= lastDate && (t.moveOut ?? '9999-12-31') >= firstDate) ids.add(t.plan);
  }
  for (const c of property.commonAreas) ids.add(c.plan);
  return property.plans.filter((p) => ids.has(p.id));
}

async function billProperty(
  deps: BillMonthDeps,
  billing: BillingFile,
  property: PropertyConfig,
  month: string,
  readings: ReadingsByMeter,
): Promise<PropertyMonthResult> {
  const { firstDate, lastDate } = monthDates(month);
  const grid = buildPeriodGrid(property.timezone, firstDate, lastDate);

  const plans = new Map<string, PricedPlan>();
  for (const plan of plansInUse(property, firstDate, lastDate)) {
    const version = versionInForce(billing, plan, month);
    const tariff = await tariffOfVersion(deps.billing, billing, version);
    if (tariff.currency !== property.currency)
      throw new ValidationError(
        `${billing.file}: ${version.path}`,
        `the tariff prices in ${tariff.currency} but property ${property.id} bills in ${property.currency}; set currency on the property or use a tariff in ${property.currency}`,
      );
    plans.set(plan.id, { tariff, version });
  }

  // Meters of the tenants billed this month and of the common areas, with where they are written
  // and the days they are billed for.
  const wanted = new Map<MeterId, { pointer: string; occupied?: OccupiedDays }>();
  for (const t of property.tenants) {
    const occupied = occupiedDays(grid, t.moveIn, t.moveOut);
    if (!occupied) continue;
    for (const [k, m] of t.meters.entries()) wanted.set(m, { pointer: `${t.path}/meters/${k}`, occupied });
  }
  for (const c of property.commonAreas)
    for (const [k, m] of c.meters.entries()) wanted.set(m, { pointer: `${c.path}/meters/${k}` });

  const meters = new Map<MeterId, MeterUsage>();
  for (const [meter, { pointer, occupied }] of wanted) {
    const reads = readings.get(meter);
    const span = reads ? readSpan(reads) : undefined;
    if (!reads || !span || span.count === 0)
      throw new ValidationError(
        `${billing.file}: ${pointer}`,
        `meter ${meter} has no reads in ${deps.readings.description}; check the meter address, or pass readings that include it`,
      );
    const usage = meterUsage(grid, { meter, reads });
    let known = false;
    for (let i = 0; i < usage.source.length && !known; i++)
      known = usage.source[i] === SOURCE_MEASURED || usage.source[i] === SOURCE_GAP;
    if (!known) {
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
      throw new ValidationError(
        `${billing.file}: ${pointer}`,
        `the reads of meter ${meter} do not cover ${month} (they run from ${iso(span.firstMs)}Z to ${iso(span.lastMs)}Z); nothing is billed for property ${property.id}: pass readings of the month`,
      );
    }
    const share = profileShare(grid, usage, occupied);
    if (share > MAX_PROFILE_SHARE) {
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
      throw new ValidationError(
        `${billing.file}: ${pointer}`,
        `the reads of meter ${meter} leave ${Math.round(share * 100)}% of its billed part of ${month} with no read on one side (reads run from ${iso(usage.firstReadMs ?? 0)}Z to ${iso(usage.lastReadMs ?? 0)}Z); at most ${MAX_PROFILE_SHARE * 100}% may be estimated from the meter's profile: pass readings of the month`,
      );
    }
    meters.set(meter, usage);
  }

  const priorPeaks = new Map<string, readonly number[]>();
  const grids = new Map<string, PeriodGrid>();
  for (const t of property.tenants) {
    const plan = plans.get(t.plan);
    if (!plan?.tariff.ratchet || !t.meters.every((m) => meters.has(m))) continue;
    const peaks = priorPeaksKw({
      timezone: property.timezone,
      month,
      tenant: t,
      tariff: plan.tariff,
      reads: readings,
      grids,
    });
    if (peaks) priorPeaks.set(t.id, peaks);
  }

  return billPropertyMonth({ billing, property, month, grid, plans, meters, priorPeaksKw: priorPeaks });
}

/**
 * Bill one month.
 *
 * Input: the month and optionally one property. Output: the invoices of every property billed, and
 * per property whether it was billed or why not.
 * 1. Load and check the billing file (a bad file fails the whole run).
 * 2. Read the readings of every meter of the selected properties once (for ratchets, the 12
 *    months before too).
 * 3. Per property: grid, tariffs in force, usage per meter, invoices (core `billPropertyMonth`).
 *    A property whose file entries or readings cannot make a bill (no version in force, a meter
 *    with no reads, reads not covering the month) is reported and nothing is billed for it; the
 *    other properties are still billed.
 */
export function makeBillMonth(deps: BillMonthDeps) {
  return async (input: BillMonthInput): Promise<BillMonthResult> => {
    const { firstDate, lastDate } = monthDates(input.month);
    const billing = await deps.billing.load();
    const selected = input.property ? billing.properties.filter((p) => p.id === input.property) : billing.properties;
    if (selected.length === 0)
      throw new ValidationError(
        '--property',
        `no property ${JSON.stringify(input.property)} in ${billing.file}; properties: ${billing.properties.map((p) => p.id).join(', ')}`,
      );
    const allMeters = [
      ...new Set(
        selected.flatMap((p) => [...p.tenants.flatMap((t) => t.meters), ...p.commonAreas.flatMap((c) => c.meters)]),
      ),
    ];
    // A generous window: zones are at most ±14 h from UTC; ratchets look back a year.
    const fromMs = Date.parse(`${firstDate}T00:00:00Z`) - 366 * DAY_MS - 2 * DAY_MS;
    const toMs = Date.parse(`${lastDate}T00:00:00Z`) + 3 * DAY_MS;
    const readings = await deps.readings.readings(allMeters, fromMs, toMs);

    const invoices: Invoice[] = [];
    const properties: PropertyOutcome[] = [];
    for (const [index, property] of selected.entries()) {
      deps.onProperty?.(property.id, index, selected.length);
      try {
        const r = await billProperty(deps, billing, property, input.month, readings);
        invoices.push(...r.invoices);
        properties.push({
          property: property.id,
          ok: true,
          invoices: r.invoices.length,
          notBilled: r.notBilled,
          commonAreas: r.commonAreas,
        });
      } catch (error) {
        if (!(error instanceof EkmPipelineError)) throw error;
        properties.push({
          property: property.id,
          ok: false,
          error: error.message,
          invoices: 0,
          notBilled: [],
          commonAreas: [],
        });
      }
    }
    return { month: input.month, invoices, properties, ok: properties.every((p) => p.ok) };
  };
}
