/**
 * Tariffs: URDB records (OpenEI Utility Rate Database) and the native rate form, both parsed into
 * one normalized {@link Tariff} (docs/billing.md, "Tariffs" and "Native rate form").
 * Every pricing field is either priced or rejected with an error naming it: nothing is ignored.
 */

import { ValidationError } from '../errors';
import { minorDigits } from './money';

/** How a tier's `max` turns into kWh for a month (URDB `unit`). */
export type EnergyTierUnit = 'kWh' | 'kWh daily' | 'kWh/kW' | 'kWh/kW daily';

/** One energy tier: cumulative upper bound of the month's total kWh (in `unit`), and its price. */
export interface EnergyTier {
  /** Cumulative upper bound in `unit`; `Infinity` on the last tier. */
  readonly max: number;
  readonly unit: EnergyTierUnit;
  /** Currency per kWh (URDB `rate + adj`). */
  readonly price: number;
}

/** One energy TOU period: label for invoices, tiers, and the export credit per kWh. */
export interface EnergyPeriod {
  readonly label: string;
  readonly tiers: readonly EnergyTier[];
  /** Currency per exported kWh under net billing (URDB `sell`); 0 when none. */
  readonly sell: number;
}

/** One demand tier: cumulative upper bound in kW (`Infinity` on the last) and price per kW. */
export interface DemandTier {
  readonly max: number;
  readonly price: number;
}

export interface DemandPeriod {
  readonly label: string;
  readonly tiers: readonly DemandTier[];
}

/** A 12 × 24 grid `[month 0-11][local hour 0-23]` of period indices. */
export type MonthHourGrid = readonly (readonly number[])[];

export interface TouSchedule {
  readonly weekday: MonthHourGrid;
  readonly weekend: MonthHourGrid;
}

export type ChargeBasis = 'month' | 'day' | 'year';

/** A fixed or minimum charge: `amount` per month, per day billed, or per year (÷ 12 per month). */
export interface Charge {
  readonly amount: number;
  readonly per: ChargeBasis;
}

/** Ratchet: billing demand is at least `fractionByMonth[month]` × the highest earlier peak in the lookback. */
export interface Ratchet {
  /** Per calendar month 0-11, a fraction (0.8 = 80 %). */
  readonly fractionByMonth: readonly number[];
  /** `range`: the previous `months` months; `months`: those calendar months among the previous twelve. */
  readonly lookback:
    | { readonly kind: 'range'; readonly months: number }
    | { readonly kind: 'months'; readonly include: readonly boolean[] };
}

/** How exported kWh are credited (docs/billing.md, "How a month is priced"). */
export type ExportRule = 'net-metering' | 'net-billing';

/** A tariff the engine can price, whatever form it was written in. */
export interface Tariff {
  /** Where it came from (file name), for messages. */
  readonly source: string;
  readonly name: string;
  /** ISO 4217 code of every price (URDB records are USD). */
  readonly currency: string;
  readonly energy?: { readonly periods: readonly EnergyPeriod[]; readonly schedule: TouSchedule };
  /** TOU demand: each period's peak priced through its tiers. */
  readonly touDemand?: { readonly periods: readonly DemandPeriod[]; readonly schedule: TouSchedule };
  /** Monthly (flat) demand on the month's peak; `months[m]` indexes `periods`, -1 for none that month. */
  readonly flatDemand?: { readonly periods: readonly DemandPeriod[]; readonly months: readonly number[] };
  readonly ratchet?: Ratchet;
  /** Minutes demand is averaged over (15 typical). */
  readonly demandWindowMinutes: number;
  readonly fixed: readonly Charge[];
  /** Minimum bills; the floor for a month is the largest of their monthly equivalents. */
  readonly minimum: readonly Charge[];
  readonly exports: ExportRule;
}

type Obj = Record<string, unknown>;

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Fields that describe a record and never change a price. */
const DESCRIPTIVE = new Set([
  '_id',
  'id',
  'label',
  'name',
  'utility',
  'utility_name',
  'description',
  'uri',
  'sector',
  'startdate',
  'enddate',
  'eiaid',
  'country',
  'source',
  'sourceparent',
  'supersedes',
  'supercedes',
  'revisions',
  'latest_update',
  'approved',
  'is_default',
  'isdefault',
  'servicetype',
  'voltagecategory',
  'phasewiring',
  'voltageminimum',
  'voltagemaximum',
  'demandmin',
  'demandmax',
  'peakkwcapacitymin',
  'peakkwcapacitymax',
  'peakkwcapacityhistory',
  'peakkwhusagemin',
  'peakkwhusagemax',
  'peakkwhusagehistory',
  'energycomments',
  'demandcomments',
  'basicinformationcomments',
  'energyattrs',
  'demandattrs',
  'fixedattrs',
  'energykeyvals',
  'demandkeyvals',
  'fixedkeyvals',
  'owner',
  'dgrules_comments',
]);

/** Pricing fields this module prices. */
const PRICED = new Set([
  'energyratestructure',
  'energyweekdayschedule',
  'energyweekendschedule',
  'demandratestructure',
  'demandweekdayschedule',
  'demandweekendschedule',
  'flatdemandstructure',
  'flatdemandmonths',
  'demandratchetpercentage',
  'lookbackpercent',
  'lookbackrange',
  'lookbackmonths',
  'demandwindow',
  'fixedchargefirstmeter',
  'fixedchargeunits',
  'fixedmonthlycharge',
  'fixedchargeeaaddl',
  'mincharge',
  'minchargeunits',
  'minmonthlycharge',
  'annualmincharge',
  'usenetmetering',
  'dgrules',
  'demandunits',
  'flatdemandunit',
  'demandrateunit',
  'fueladjustmentsmonthly',
  'coincidentratestructure',
  'coincidentrateschedule',
  'coincidentrateunit',
]);

const ENERGY_UNITS: readonly EnergyTierUnit[] = ['kWh', 'kWh daily', 'kWh/kW', 'kWh/kW daily'];
const CHARGE_UNITS: Readonly<Record<string, ChargeBasis>> = { '$/month': 'month', '$/day': 'day', '$/year': 'year' };

class Fields {
  constructor(readonly source: string) {}
  fail(pointer: string, message: string): never {
    throw new ValidationError(`${this.source}: ${pointer}`, message);
  }
  num(value: unknown, pointer: string, what = 'a number'): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(pointer, `expected ${what}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
  nonNegative(value: unknown, pointer: string): number {
    const n = this.num(value, pointer, 'a number ≥ 0');
    if (n < 0) this.fail(pointer, `expected a number ≥ 0, got ${n}`);
    return n;
  }
  fraction(value: unknown, pointer: string): number {
    const n = this.num(value, pointer, 'a fraction from 0 to 1');
    if (n < 0 || n > 1) {
      this.fail(pointer, `expected a fraction from 0 to 1 (0.8 for 80 %), got ${n}; write percentages as fractions`);
    }
    return n;
  }
  array(value: unknown, pointer: string, length?: number): unknown[] {
    if (!Array.isArray(value)) this.fail(pointer, `expected an array, got ${JSON.stringify(value)}`);
    if (length !== undefined && value.length !== length) {
      this.fail(pointer, `expected ${length} entries, got ${value.length}`);
    }
    return value;
  }
  obj(value: unknown, pointer: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(pointer, `expected an object, got ${JSON.stringify(value)}`);
    }
    return value as Obj;
  }
  str(value: unknown, pointer: string): string {
    if (typeof value !== 'string') this.fail(pointer, `expected text, got ${JSON.stringify(value)}`);
    return value;
  }
  onlyKeys(o: Obj, pointer: string, allowed: readonly string[]): void {
    for (const key of Object.keys(o)) {
      if (!allowed.includes(key)) {
        this.fail(`${pointer}/${key}`, `unknown field; allowed here: ${allowed.join(', ')}`);
      }
    }
  }
}

function periodLabel(index: number): string {
  return `Period ${index + 1}`;
}

/** A URDB `[period][tier]` rate structure; `priced[p]` false where a tier has no `rate`. */
function urdbStructure(
  f: Fields,
  value: unknown,
  pointer: string,
  kind: 'energy' | 'demand',
): { tiers: { max: number; unit: EnergyTierUnit; price: number; sell?: number }[][]; missing: (string | undefined)[] } {
  const periods = f.array(value, pointer);
  // Period indices are stored one byte per interval.
  if (periods.length > 255) f.fail(pointer, `at most 255 periods, got ${periods.length}`);
  const allowed = kind === 'energy' ? ['max', 'rate', 'adj', 'sell', 'unit'] : ['max', 'rate', 'adj'];
  const missing: (string | undefined)[] = [];
  const tiers = periods.map((period, p) => {
    const list = f.array(period, `${pointer}/${p}`);
    if (list.length === 0) f.fail(`${pointer}/${p}`, 'a period needs at least one tier');
    let noRate: string | undefined;
    let lastMax = Number.NEGATIVE_INFINITY;
    let lastUnit: EnergyTierUnit | undefined;
    const out = list.map((raw, k) => {
      const at = `${pointer}/${p}/${k}`;
      const tier = f.obj(raw, at);
      f.onlyKeys(tier, at, allowed);
      const unit = tier.unit === undefined ? 'kWh' : (f.str(tier.unit, `${at}/unit`) as EnergyTierUnit);
      if (!ENERGY_UNITS.includes(unit)) {
        f.fail(`${at}/unit`, `unknown unit ${JSON.stringify(tier.unit)}; use one of ${ENERGY_UNITS.join(', ')}`);
      }
      if (tier.rate === undefined) noRate ??= `${at}/rate`;
      const rate = tier.rate === undefined ? 0 : f.num(tier.rate, `${at}/rate`);
      const adj = tier.adj === undefined ? 0 : f.num(tier.adj, `${at}/adj`);
      const last = k === list.length - 1;
      // The last tier is open-ended whatever its max says, so no energy is ever left unpriced.
      let max = Number.POSITIVE_INFINITY;
      if (!last) {
        if (tier.max === undefined) {
          f.fail(`${at}/max`, 'every tier but the last needs a cumulative upper bound max');
        }
        max = f.num(tier.max, `${at}/max`);
        if (max <= 0 || (unit === lastUnit && max <= lastMax)) {
          f.fail(`${at}/max`, `tier bounds are cumulative and must increase: ${max} after ${lastMax}`);
        }
        lastMax = max;
        lastUnit = unit;
      } else if (tier.max !== undefined) {
        f.num(tier.max, `${at}/max`);
      }
      const sell = tier.sell === undefined ? undefined : f.nonNegative(tier.sell, `${at}/sell`);
      // Read at 15 digits so 0.1 + 0.02 is the 0.12 the record means, not 0.12000000000000001.
      return { max, unit, price: Number((rate + adj).toPrecision(15)), sell };
    });
    missing.push(noRate);
    return out;
  });
  return { tiers, missing };
}

function scheduleGrid(
  f: Fields,
  value: unknown,
  pointer: string,
  structure: string,
  periods: number,
  missing: readonly (string | undefined)[],
): number[][] {
  return f.array(value, pointer, 12).map((row, m) =>
    f.array(row, `${pointer}/${m}`, 24).map((cell, h) => {
      const at = `${pointer}/${m}/${h}`;
      const p = f.num(cell, at, 'a period index');
      const where = `month ${m + 1} (${MONTH_NAMES[m]}), hour ${h}`;
      if (!Number.isInteger(p) || p < 0 || p >= periods) {
        f.fail(
          at,
          `${where} uses period ${p}, which ${structure} does not define (periods 0-${periods - 1}); fix the schedule or add the period`,
        );
      }
      const noRate = missing[p];
      if (noRate) {
        f.fail(at, `${where} uses period ${p}, which has no rate (${noRate}); add the rate with an override`);
      }
      return p;
    }),
  );
}

function isZeroish(value: unknown): boolean {
  if (value === undefined || value === null || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.every(isZeroish);
  return false;
}

/**
 * Parse a URDB record as published (docs/billing.md, "Tariffs"). `override` is merged onto the record
 * field by field before validation (a `null` removes the field). Descriptive fields are accepted and
 * ignored; any other field is priced or rejected: errors name `${source}: /json/pointer`.
 */
export function parseUrdbRecord(record: unknown, source: string, override?: Record<string, unknown>): Tariff {
  const f = new Fields(source);
  const merged: Obj = { ...f.obj(record, '') };
  for (const [key, value] of Object.entries(override ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  for (const [key, value] of Object.entries(merged)) {
    if (DESCRIPTIVE.has(key)) continue;
    if (!PRICED.has(key)) {
      f.fail(
        `/${key}`,
        'unknown URDB field; remove it with an override ({"field": null}) if it does not price the bill',
      );
    }
    if ((key === 'demandunits' || key === 'flatdemandunit' || key === 'demandrateunit') && value !== 'kW') {
      f.fail(`/${key}`, `only kW demand is priced, got ${JSON.stringify(value)}`);
    }
    if (key.startsWith('coincident') && !isZeroish(value)) {
      f.fail(`/${key}`, 'coincident demand charges depend on the utility system peak and are not priced; remove it');
    }
    if ((key === 'fueladjustmentsmonthly' || key === 'fixedchargeeaaddl') && !isZeroish(value)) {
      f.fail(
        `/${key}`,
        key === 'fueladjustmentsmonthly'
          ? 'monthly fuel adjustments are not priced; fold them into adj of the energy tiers with an override'
          : 'charges for additional meters are not priced; bill them as a fee or remove the field',
      );
    }
  }

  const name = typeof merged.name === 'string' ? merged.name : typeof merged.label === 'string' ? merged.label : source;

  // Energy
  let energy: Tariff['energy'];
  const hasEnergy = ['energyratestructure', 'energyweekdayschedule', 'energyweekendschedule'].filter(
    (k) => merged[k] !== undefined,
  );
  if (hasEnergy.length > 0) {
    for (const k of ['energyratestructure', 'energyweekdayschedule', 'energyweekendschedule']) {
      if (merged[k] === undefined) f.fail(`/${k}`, `missing; ${hasEnergy.join(', ')} need it`);
    }
    const { tiers, missing } = urdbStructure(f, merged.energyratestructure, '/energyratestructure', 'energy');
    const periods: EnergyPeriod[] = tiers.map((list, p) => {
      const sells = list.map((t) => t.sell ?? 0);
      const sell = sells[0] ?? 0;
      sells.forEach((s, k) => {
        if (s !== sell) {
          f.fail(
            `/energyratestructure/${p}/${k}/sell`,
            `tiered export credit is not priced; give every tier of period ${p} the same sell`,
          );
        }
      });
      return { label: periodLabel(p), tiers: list.map(({ max, unit, price }) => ({ max, unit, price })), sell };
    });
    energy = {
      periods,
      schedule: {
        weekday: scheduleGrid(
          f,
          merged.energyweekdayschedule,
          '/energyweekdayschedule',
          'energyratestructure',
          periods.length,
          missing,
        ),
        weekend: scheduleGrid(
          f,
          merged.energyweekendschedule,
          '/energyweekendschedule',
          'energyratestructure',
          periods.length,
          missing,
        ),
      },
    };
  }

  // TOU demand
  let touDemand: Tariff['touDemand'];
  const hasTou = ['demandratestructure', 'demandweekdayschedule', 'demandweekendschedule'].filter(
    (k) => merged[k] !== undefined,
  );
  if (hasTou.length > 0) {
    for (const k of ['demandratestructure', 'demandweekdayschedule', 'demandweekendschedule']) {
      if (merged[k] === undefined) f.fail(`/${k}`, `missing; ${hasTou.join(', ')} need it`);
    }
    const { tiers, missing } = urdbStructure(f, merged.demandratestructure, '/demandratestructure', 'demand');
    const periods = tiers.map((list, p) => ({
      label: periodLabel(p),
      tiers: list.map(({ max, price }) => ({ max, price })),
    }));
    touDemand = {
      periods,
      schedule: {
        weekday: scheduleGrid(
          f,
          merged.demandweekdayschedule,
          '/demandweekdayschedule',
          'demandratestructure',
          periods.length,
          missing,
        ),
        weekend: scheduleGrid(
          f,
          merged.demandweekendschedule,
          '/demandweekendschedule',
          'demandratestructure',
          periods.length,
          missing,
        ),
      },
    };
  }

  // Flat (monthly) demand
  let flatDemand: Tariff['flatDemand'];
  if (merged.flatdemandstructure !== undefined || merged.flatdemandmonths !== undefined) {
    if (merged.flatdemandstructure === undefined) f.fail('/flatdemandstructure', 'missing; flatdemandmonths needs it');
    if (merged.flatdemandmonths === undefined) f.fail('/flatdemandmonths', 'missing; flatdemandstructure needs it');
    const { tiers, missing } = urdbStructure(f, merged.flatdemandstructure, '/flatdemandstructure', 'demand');
    const periods = tiers.map((list, p) => ({
      label: periodLabel(p),
      tiers: list.map(({ max, price }) => ({ max, price })),
    }));
    const months = f.array(merged.flatdemandmonths, '/flatdemandmonths', 12).map((v, m) => {
      const p = f.num(v, `/flatdemandmonths/${m}`, 'a period index');
      if (!Number.isInteger(p) || p < 0 || p >= periods.length) {
        f.fail(
          `/flatdemandmonths/${m}`,
          `month ${m + 1} (${MONTH_NAMES[m]}) uses period ${p}, which flatdemandstructure does not define`,
        );
      }
      const noRate = missing[p];
      if (noRate)
        f.fail(
          `/flatdemandmonths/${m}`,
          `month ${m + 1} (${MONTH_NAMES[m]}) uses period ${p}, which has no rate (${noRate})`,
        );
      return p;
    });
    flatDemand = { periods, months };
  }

  // Ratchets
  let ratchet: Ratchet | undefined;
  const ratchetKeys = ['demandratchetpercentage', 'lookbackpercent', 'lookbackrange', 'lookbackmonths'];
  if (ratchetKeys.some((k) => !isZeroish(merged[k]) && merged[k] !== false)) {
    const monthly =
      merged.demandratchetpercentage === undefined
        ? Array.from({ length: 12 }, () => 0)
        : f
            .array(merged.demandratchetpercentage, '/demandratchetpercentage', 12)
            .map((v, m) => f.fraction(v, `/demandratchetpercentage/${m}`));
    const lookbackPercent =
      merged.lookbackpercent === undefined ? 0 : f.fraction(merged.lookbackpercent, '/lookbackpercent');
    const include =
      merged.lookbackmonths === undefined
        ? undefined
        : f.array(merged.lookbackmonths, '/lookbackmonths', 12).map((v, m) => {
            if (typeof v !== 'boolean' && v !== 0 && v !== 1)
              f.fail(`/lookbackmonths/${m}`, `expected true or false, got ${JSON.stringify(v)}`);
            return v === true || v === 1;
          });
    const range =
      merged.lookbackrange === undefined ? 0 : f.num(merged.lookbackrange, '/lookbackrange', 'a number of months');
    if (!Number.isInteger(range) || range < 0 || range > 12) {
      f.fail('/lookbackrange', `expected whole months from 0 to 12, got ${range}`);
    }
    if (include?.some(Boolean) && range > 0) {
      f.fail('/lookbackrange', 'give either lookbackmonths or lookbackrange, not both');
    }
    const pointer = merged.demandratchetpercentage !== undefined ? '/demandratchetpercentage' : '/lookbackpercent';
    if (!flatDemand) {
      f.fail(
        pointer,
        'ratchets raise the billing demand of the flat (monthly) demand charge, and this record has none; add flatdemandstructure and flatdemandmonths or remove the ratchet',
      );
    }
    ratchet = {
      fractionByMonth: monthly.map((v) => Math.max(v, lookbackPercent)),
      lookback: include?.some(Boolean)
        ? { kind: 'months', include }
        : { kind: 'range', months: range > 0 ? range : 11 },
    };
  }

  // Demand window
  let demandWindowMinutes = 15;
  if (merged.demandwindow !== undefined) {
    demandWindowMinutes = f.num(merged.demandwindow, '/demandwindow', 'minutes');
    if (demandWindowMinutes <= 0 || (demandWindowMinutes > 15 && demandWindowMinutes % 15 !== 0)) {
      f.fail(
        '/demandwindow',
        `expected minutes that are a multiple of the 15-minute data (15, 30, 60), got ${demandWindowMinutes}`,
      );
    }
  }

  // Fixed charges
  const fixed: Charge[] = [];
  const fixedUnits =
    merged.fixedchargeunits === undefined ? '$/month' : f.str(merged.fixedchargeunits, '/fixedchargeunits');
  const fixedPer = CHARGE_UNITS[fixedUnits];
  if (!fixedPer)
    f.fail('/fixedchargeunits', `unknown unit ${JSON.stringify(fixedUnits)}; use $/month, $/day or $/year`);
  const firstMeter =
    merged.fixedchargefirstmeter === undefined
      ? undefined
      : f.num(merged.fixedchargefirstmeter, '/fixedchargefirstmeter');
  const legacyFixed =
    merged.fixedmonthlycharge === undefined ? undefined : f.num(merged.fixedmonthlycharge, '/fixedmonthlycharge');
  if (
    firstMeter !== undefined &&
    legacyFixed !== undefined &&
    !(fixedPer === 'month' && firstMeter === legacyFixed) &&
    legacyFixed !== 0
  ) {
    f.fail(
      '/fixedmonthlycharge',
      `conflicts with fixedchargefirstmeter ${firstMeter} ${fixedUnits}; remove one with an override`,
    );
  }
  if (firstMeter !== undefined && firstMeter !== 0) fixed.push({ amount: firstMeter, per: fixedPer as ChargeBasis });
  else if (legacyFixed !== undefined && legacyFixed !== 0) fixed.push({ amount: legacyFixed, per: 'month' });

  // Minimum charges
  const minimum: Charge[] = [];
  const minUnits = merged.minchargeunits === undefined ? '$/month' : f.str(merged.minchargeunits, '/minchargeunits');
  const minPer = CHARGE_UNITS[minUnits];
  if (!minPer) f.fail('/minchargeunits', `unknown unit ${JSON.stringify(minUnits)}; use $/month, $/day or $/year`);
  const minCharge = merged.mincharge === undefined ? undefined : f.nonNegative(merged.mincharge, '/mincharge');
  const legacyMin =
    merged.minmonthlycharge === undefined ? undefined : f.nonNegative(merged.minmonthlycharge, '/minmonthlycharge');
  if (
    minCharge !== undefined &&
    legacyMin !== undefined &&
    legacyMin !== 0 &&
    !(minPer === 'month' && minCharge === legacyMin)
  ) {
    f.fail('/minmonthlycharge', `conflicts with mincharge ${minCharge} ${minUnits}; remove one with an override`);
  }
  if (minCharge !== undefined && minCharge !== 0) minimum.push({ amount: minCharge, per: minPer as ChargeBasis });
  else if (legacyMin !== undefined && legacyMin !== 0) minimum.push({ amount: legacyMin, per: 'month' });
  if (merged.annualmincharge !== undefined) {
    const annual = f.nonNegative(merged.annualmincharge, '/annualmincharge');
    if (annual !== 0) minimum.push({ amount: annual, per: 'year' });
  }

  // Exports
  let exports: ExportRule = 'net-billing';
  const nm = merged.usenetmetering;
  if (nm !== undefined && typeof nm !== 'boolean')
    f.fail('/usenetmetering', `expected true or false, got ${JSON.stringify(nm)}`);
  if (merged.dgrules !== undefined) {
    const rule = f.str(merged.dgrules, '/dgrules');
    if (rule === 'Net Metering') exports = 'net-metering';
    else if (rule === 'Net Billing Instantaneous') exports = 'net-billing';
    else {
      f.fail('/dgrules', `${JSON.stringify(rule)} is not priced; use "Net Metering" or "Net Billing Instantaneous"`);
    }
    if (nm !== undefined && (nm === true) !== (exports === 'net-metering')) {
      f.fail('/usenetmetering', `${nm} contradicts dgrules ${JSON.stringify(rule)}; remove one with an override`);
    }
  } else if (nm === true) {
    exports = 'net-metering';
  }

  return {
    source,
    name,
    currency: 'USD',
    ...(energy ? { energy } : {}),
    ...(touDemand ? { touDemand } : {}),
    ...(flatDemand ? { flatDemand } : {}),
    ...(ratchet ? { ratchet } : {}),
    demandWindowMinutes,
    fixed,
    minimum,
    exports,
  };
}

// ---------------------------------------------------------------------------------------------
// Native rate form (docs/billing.md, "Native rate form")

const NATIVE_KEYS = ['name', 'currency', 'energy', 'schedule', 'demand', 'fixed', 'minimum', 'exports'];
const DAY_KINDS = ['all', 'weekdays', 'weekends'] as const;

function nativeHours(f: Fields, value: unknown, at: string): number[] {
  if (value === undefined) return Array.from({ length: 24 }, (_, h) => h);
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const h = f.num(v, `${at}/${i}`, 'an hour 0-23');
      if (!Number.isInteger(h) || h < 0 || h > 23) f.fail(`${at}/${i}`, `expected an hour 0-23, got ${h}`);
      return h;
    });
  }
  const text = f.str(value, at);
  const m = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(text);
  const from = m ? Number(m[1]) : Number.NaN;
  const to = m ? Number(m[2]) : Number.NaN;
  if (!m || from > 23 || to > 24 || from === to) {
    f.fail(
      at,
      `expected hours as "from-to" on the 24-hour clock (e.g. "15-20" for 15:00 to 20:00), got ${JSON.stringify(text)}`,
    );
  }
  const hours: number[] = [];
  for (let h = from; h !== to % 24 || hours.length === 0; h = (h + 1) % 24) hours.push(h);
  return hours;
}

function nativeMonths(f: Fields, value: unknown, at: string): number[] {
  if (value === undefined) return Array.from({ length: 12 }, (_, m) => m);
  return f.array(value, at).map((v, i) => {
    const m = f.num(v, `${at}/${i}`, 'a month 1-12');
    if (!Number.isInteger(m) || m < 1 || m > 12) f.fail(`${at}/${i}`, `expected a month 1-12 (1 = January), got ${m}`);
    return m - 1;
  });
}

function nativeSchedule(f: Fields, value: unknown, at: string, labels: readonly string[]): TouSchedule {
  const weekday = Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => 0));
  const weekend = Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => 0));
  if (value === undefined) return { weekday, weekend };
  // Two spellings: a list of rules with `days`, or `{ weekday: [rules], weekend: [rules] }`.
  const rules: { raw: unknown; rat: string; days?: 'weekdays' | 'weekends' }[] = [];
  if (Array.isArray(value)) {
    value.forEach((raw, i) => {
      rules.push({ raw, rat: `${at}/${i}` });
    });
  } else {
    const byDay = f.obj(value, at);
    f.onlyKeys(byDay, at, ['weekday', 'weekend']);
    for (const key of ['weekday', 'weekend'] as const) {
      if (byDay[key] === undefined) continue;
      f.array(byDay[key], `${at}/${key}`).forEach((raw, i) => {
        rules.push({ raw, rat: `${at}/${key}/${i}`, days: key === 'weekday' ? 'weekdays' : 'weekends' });
      });
    }
  }
  for (const { raw, rat, days: fixedDays } of rules) {
    const rule = f.obj(raw, rat);
    f.onlyKeys(rule, rat, fixedDays ? ['period', 'months', 'hours'] : ['period', 'months', 'hours', 'days']);
    let period: number;
    if (typeof rule.period === 'string') {
      period = labels.indexOf(rule.period);
      if (period < 0)
        f.fail(`${rat}/period`, `no period named ${JSON.stringify(rule.period)}; names: ${labels.join(', ')}`);
    } else {
      period = f.num(rule.period, `${rat}/period`, 'a period name or index');
      if (!Number.isInteger(period) || period < 0 || period >= labels.length) {
        f.fail(`${rat}/period`, `no period ${period}; indices 0-${labels.length - 1}`);
      }
    }
    const days = fixedDays ?? (rule.days === undefined ? 'all' : f.str(rule.days, `${rat}/days`));
    if (!(DAY_KINDS as readonly string[]).includes(days))
      f.fail(`${rat}/days`, `expected one of ${DAY_KINDS.join(', ')}`);
    const months = nativeMonths(f, rule.months, `${rat}/months`);
    const hours = nativeHours(f, rule.hours, `${rat}/hours`);
    for (const m of months) {
      for (const h of hours) {
        if (days !== 'weekends') (weekday[m] as number[])[h] = period;
        if (days !== 'weekdays') (weekend[m] as number[])[h] = period;
      }
    }
  }
  return { weekday, weekend };
}

function nativeTiers(
  f: Fields,
  o: Obj,
  at: string,
  energy: boolean,
): { max: number; unit: EnergyTierUnit; price: number }[] {
  if (o.price !== undefined && o.tiers !== undefined) f.fail(`${at}/tiers`, 'give price or tiers, not both');
  if (o.price !== undefined)
    return [{ max: Number.POSITIVE_INFINITY, unit: 'kWh', price: f.num(o.price, `${at}/price`) }];
  const list = f.array(o.tiers, `${at}/tiers`);
  if (list.length === 0) f.fail(`${at}/tiers`, 'give at least one tier, or a single price');
  let last = 0;
  return list.map((raw, k) => {
    const tat = `${at}/tiers/${k}`;
    const t = f.obj(raw, tat);
    f.onlyKeys(t, tat, energy ? ['upTo', 'unit', 'price'] : ['upTo', 'price']);
    const unit = t.unit === undefined ? 'kWh' : (f.str(t.unit, `${tat}/unit`) as EnergyTierUnit);
    if (!ENERGY_UNITS.includes(unit)) f.fail(`${tat}/unit`, `use one of ${ENERGY_UNITS.join(', ')}`);
    const isLast = k === list.length - 1;
    if (isLast && t.upTo !== undefined) f.fail(`${tat}/upTo`, 'the last tier is open-ended: remove upTo');
    const max = isLast ? Number.POSITIVE_INFINITY : f.num(t.upTo, `${tat}/upTo`, 'a cumulative upper bound');
    if (!isLast && max <= last)
      f.fail(`${tat}/upTo`, `tier bounds are cumulative and must increase: ${max} after ${last}`);
    if (!isLast) last = max;
    return { max, unit, price: f.num(t.price, `${tat}/price`) };
  });
}

function nativePeriods(
  f: Fields,
  value: unknown,
  at: string,
  energy: boolean,
): { label: string; o: Obj; tiers: ReturnType<typeof nativeTiers> }[] {
  const seen = new Set<string>();
  return f.array(value, at).map((raw, p) => {
    const pat = `${at}/${p}`;
    const o = f.obj(raw, pat);
    f.onlyKeys(o, pat, energy ? ['name', 'price', 'tiers', 'sell'] : ['name', 'price', 'tiers']);
    const label = o.name === undefined ? periodLabel(p) : f.str(o.name, `${pat}/name`);
    if (seen.has(label)) f.fail(`${pat}/name`, `${JSON.stringify(label)} is used twice; period names must differ`);
    seen.add(label);
    return { label, o, tiers: nativeTiers(f, o, pat, energy) };
  });
}

function nativeCharge(f: Fields, value: unknown, at: string): Charge[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((raw, i) => {
    const cat = Array.isArray(value) ? `${at}/${i}` : at;
    const c = f.obj(raw, cat);
    f.onlyKeys(c, cat, ['amount', 'per']);
    const per = c.per === undefined ? 'month' : f.str(c.per, `${cat}/per`);
    if (per !== 'month' && per !== 'day' && per !== 'year') f.fail(`${cat}/per`, 'expected month, day or year');
    return { amount: f.num(c.amount, `${cat}/amount`), per };
  });
}

/**
 * Parse the native rate form, a readable plan written by hand (docs/billing.md, "Native rate form"):
 * `{ name, currency, energy: [{name, price | tiers, sell}], schedule: [{period, months, hours, days}],
 * demand: {window, periods, schedule, monthly, ratchet}, fixed: {amount, per}, minimum, exports }`.
 */
export function parseNativeRates(rates: unknown, source: string): Tariff {
  const f = new Fields(source);
  const o = f.obj(rates, '');
  f.onlyKeys(o, '', NATIVE_KEYS);
  const name = o.name === undefined ? source : f.str(o.name, '/name');
  const currency = o.currency === undefined ? 'USD' : f.str(o.currency, '/currency');
  try {
    minorDigits(currency);
  } catch {
    f.fail('/currency', `${JSON.stringify(currency)} is not an ISO 4217 code; write e.g. USD`);
  }

  let energy: Tariff['energy'];
  if (o.energy !== undefined) {
    const periods = nativePeriods(f, o.energy, '/energy', true).map(({ label, o: po, tiers }, p) => ({
      label,
      tiers,
      sell: po.sell === undefined ? 0 : f.nonNegative(po.sell, `/energy/${p}/sell`),
    }));
    if (periods.length === 0) f.fail('/energy', 'give at least one period, e.g. [{ name: All hours, price: 0.15 }]');
    if (periods.length > 255) f.fail('/energy', 'at most 255 periods');
    energy = {
      periods,
      schedule: nativeSchedule(
        f,
        o.schedule,
        '/schedule',
        periods.map((p) => p.label),
      ),
    };
  } else if (o.schedule !== undefined) {
    f.fail('/schedule', 'a schedule needs energy periods to point at');
  }

  let touDemand: Tariff['touDemand'];
  let flatDemand: Tariff['flatDemand'];
  let ratchet: Ratchet | undefined;
  let demandWindowMinutes = 15;
  if (o.demand !== undefined) {
    const d = f.obj(o.demand, '/demand');
    f.onlyKeys(d, '/demand', ['window', 'periods', 'schedule', 'monthly', 'ratchet']);
    if (d.window !== undefined) {
      demandWindowMinutes = f.num(d.window, '/demand/window', 'minutes');
      if (demandWindowMinutes <= 0 || (demandWindowMinutes > 15 && demandWindowMinutes % 15 !== 0)) {
        f.fail('/demand/window', `expected minutes that are a multiple of 15 (15, 30, 60), got ${demandWindowMinutes}`);
      }
    }
    if (d.periods !== undefined) {
      const periods = nativePeriods(f, d.periods, '/demand/periods', false).map(({ label, tiers }) => ({
        label,
        tiers: tiers.map(({ max, price }) => ({ max, price })),
      }));
      touDemand = {
        periods,
        schedule: nativeSchedule(
          f,
          d.schedule,
          '/demand/schedule',
          periods.map((p) => p.label),
        ),
      };
    } else if (d.schedule !== undefined) {
      f.fail('/demand/schedule', 'a demand schedule needs demand periods to point at');
    }
    if (d.monthly !== undefined) {
      const months = Array.from({ length: 12 }, () => -1);
      const periods = f.array(d.monthly, '/demand/monthly').map((raw, p) => {
        const at = `/demand/monthly/${p}`;
        const mo = f.obj(raw, at);
        f.onlyKeys(mo, at, ['name', 'months', 'price', 'tiers']);
        for (const m of nativeMonths(f, mo.months, `${at}/months`)) months[m] = p;
        return {
          label: mo.name === undefined ? periodLabel(p) : f.str(mo.name, `${at}/name`),
          tiers: nativeTiers(f, mo, at, false).map(({ max, price }) => ({ max, price })),
        };
      });
      flatDemand = { periods, months };
    }
    if (d.ratchet !== undefined) {
      const r = f.obj(d.ratchet, '/demand/ratchet');
      f.onlyKeys(r, '/demand/ratchet', ['percent', 'months']);
      const percent = f.num(r.percent, '/demand/ratchet/percent', 'a percent such as 80');
      if (percent < 0 || percent > 100) f.fail('/demand/ratchet/percent', `expected 0-100, got ${percent}`);
      const months = r.months === undefined ? 11 : f.num(r.months, '/demand/ratchet/months', 'months of lookback');
      if (!Number.isInteger(months) || months < 1 || months > 12)
        f.fail('/demand/ratchet/months', `expected 1-12, got ${months}`);
      if (!flatDemand) f.fail('/demand/ratchet', 'a ratchet raises the monthly demand charge: add demand.monthly');
      ratchet = {
        fractionByMonth: Array.from({ length: 12 }, () => percent / 100),
        lookback: { kind: 'range', months },
      };
    }
  }

  let exports: ExportRule = 'net-billing';
  if (o.exports !== undefined) {
    const e = f.str(o.exports, '/exports');
    if (e !== 'net-metering' && e !== 'net-billing') f.fail('/exports', 'expected net-metering or net-billing');
    exports = e as ExportRule;
  }

  return {
    source,
    name,
    currency,
    ...(energy ? { energy } : {}),
    ...(touDemand ? { touDemand } : {}),
    ...(flatDemand ? { flatDemand } : {}),
    ...(ratchet ? { ratchet } : {}),
    demandWindowMinutes,
    fixed: nativeCharge(f, o.fixed, '/fixed'),
    minimum: nativeCharge(f, o.minimum, '/minimum'),
    exports,
  };
}
