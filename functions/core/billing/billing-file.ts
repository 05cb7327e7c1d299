/**
 * The billing file (YAML or JSON, schemas/billing.schema.json): parse and check it into typed
 * config (pure). Every problem names the file, the JSON pointer, the bad value and the fix; all
 * problems are collected before failing so one run shows them all.
 *
 * Checks beyond the schema: real dates, IANA zones, unique ids, plan versions in date order with
 * exactly one of `urdb`/`rates`, known plan ids, moveOut not before moveIn, no two tenancies (or a
 * tenancy and a common area) sharing a meter at overlapping dates, common-area splits that can be
 * computed (areas present for `by: area`, shares naming tenants of the property).
 */

import { ConfigTextSyntaxError, parseConfigText } from '@ekm-pipeline/shared/config-text';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../../schemas/billing.schema.json';
import { ValidationError } from '../errors';
import { type MeterId, toMeterId } from '../readings/meter-id';

/** One problem in a billing file. */
export interface BillingIssue {
  readonly file: string;
  /** JSON pointer (`/properties/0/tenants/1/moveIn`). */
  readonly path: string;
  readonly message: string;
}

/** A billing file has problems: nothing is billed from it. */
export class BillingFileError extends ValidationError {
  override readonly name = 'ValidationError';
  readonly issues: readonly BillingIssue[];
  constructor(issues: readonly BillingIssue[]) {
    const first = issues[0]!;
    const more = issues.slice(1).map((i) => `\n  ${formatBillingIssue(i)}`);
    super(
      `${first.file}: ${first.path || '/'}`,
      `${first.message}${more.length ? `\n  (${more.length} more problem${more.length === 1 ? '' : 's'}:)${more.join('')}` : ''}`,
    );
    this.issues = issues;
  }
}

export function formatBillingIssue(issue: BillingIssue): string {
  return `${issue.file}: ${issue.path || '/'}: ${issue.message}`;
}

/** A fee on every invoice: a fixed amount, or a percent of the invoice's charges before tax. */
export type FeeConfig =
  | { readonly name: string; readonly amount: number; readonly percent?: undefined }
  | { readonly name: string; readonly percent: number; readonly amount?: undefined };

export interface CreditConfig {
  /** `YYYY-MM`: the month whose invoice carries the credit. */
  readonly month: string;
  readonly description: string;
  /** Positive amount in currency units; the invoice line is negative. */
  readonly amount: number;
}

/** One effective-dated tariff version of a plan. */
export interface PlanVersionConfig {
  /** Local date the version takes effect; it prices months whose first day is on or after it. */
  readonly from: string;
  /** URDB record path as written (relative to the billing file), or undefined for native `rates`. */
  readonly urdb?: string;
  readonly override?: Readonly<Record<string, unknown>>;
  readonly rates?: Readonly<Record<string, unknown>>;
  readonly label?: string;
  /** JSON pointer of the version in the file. */
  readonly path: string;
}

export interface PlanConfig {
  readonly id: string;
  readonly name?: string;
  /** In `from` order. */
  readonly versions: readonly PlanVersionConfig[];
  readonly path: string;
}

export interface TenantConfig {
  readonly id: string;
  readonly name?: string;
  readonly meters: readonly MeterId[];
  readonly plan: string;
  readonly moveIn?: string;
  readonly moveOut?: string;
  readonly area?: number;
  readonly fees: readonly FeeConfig[];
  readonly credits: readonly CreditConfig[];
  readonly path: string;
}

export type SplitBy = 'fixed' | 'area' | 'usage';

export interface CommonAreaConfig {
  readonly id: string;
  readonly name?: string;
  readonly meters: readonly MeterId[];
  /** Plan id pricing the common meters (defaulted to the property's only plan). */
  readonly plan: string;
  readonly split: { readonly by: SplitBy; readonly shares?: Readonly<Record<string, number>> };
  readonly path: string;
}

export interface PropertyConfig {
  readonly id: string;
  readonly name?: string;
  readonly address?: string;
  readonly timezone: string;
  readonly currency: string;
  /** Taxes on the sum of the rounded lines (the shape of money.ts's `Tax`). */
  readonly taxes: readonly { readonly name: string; readonly percent: number }[];
  readonly fees: readonly FeeConfig[];
  readonly plans: readonly PlanConfig[];
  readonly tenants: readonly TenantConfig[];
  readonly commonAreas: readonly CommonAreaConfig[];
  readonly path: string;
}

export interface BillingFile {
  /** The file name as given (errors and URDB paths refer to it). */
  readonly file: string;
  readonly version: 1;
  readonly currency: string;
  readonly properties: readonly PropertyConfig[];
}

// Compiled on first use, so commands that never read a billing file (`--help`) do not pay for it.
let compiled: ValidateFunction | undefined;
const schemaValidator = () => (compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema));

const DATE_FIELDS = /\/(from|moveIn|moveOut)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when the runtime knows `timezone` as an IANA zone (the grid builder rejects the rest too). */
function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone.length > 0;
  } catch {
    return false;
  }
}

function isRealDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

function schemaIssues(file: string, errors: readonly ErrorObject[]): BillingIssue[] {
  const out = new Map<string, BillingIssue>();
  // A meter is "string or integer": report a bad meter once, plainly.
  for (const e of errors) {
    const path = e.instancePath;
    const got = JSON.stringify(e.data);
    let message: string;
    if (e.keyword === 'additionalProperties') {
      message = `unknown property ${JSON.stringify(e.params.additionalProperty)}; remove it or check its spelling`;
    } else if (e.keyword === 'required') {
      message = `missing required property ${JSON.stringify(e.params.missingProperty)}`;
    } else if (/\/meters\/\d+$/.test(path)) {
      message = `expected a meter address of 1-12 digits (e.g. "000300000011"), got ${got}`;
    } else if (DATE_FIELDS.test(path) && (e.keyword === 'pattern' || e.keyword === 'type')) {
      message = `expected a date YYYY-MM-DD, got ${got}; write e.g. 2026-03-11 (a local date of the property's time zone)`;
    } else if (/\/month$/.test(path) && (e.keyword === 'pattern' || e.keyword === 'type')) {
      message = `expected a month YYYY-MM, got ${got}; write e.g. 2026-03`;
    } else if (/\/currency$/.test(path)) {
      message = `expected an ISO 4217 currency code, got ${got}; write e.g. USD`;
    } else if (/\/id$/.test(path) && e.keyword === 'pattern') {
      message = `ids use letters, digits, '.', '_' or '-' (they name invoice files), got ${got}; write e.g. unit-a`;
    } else if (e.keyword === 'enum') {
      message = `is ${got}; must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `is ${got}; must be ${JSON.stringify(e.params.allowedValue)}`;
    } else if (e.keyword === 'type') {
      message = `expected ${e.params.type}, got ${got}`;
    } else {
      message = `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${got})` : ''}`;
    }
    out.set(`${path}|${message}`, { file, path, message });
  }
  return [...out.values()];
}

/**
 * Parse billing-file text (YAML or JSON) and check it; throws {@link BillingFileError}. A syntax error
 * gives the position and the problem only, never the text of a line (packages/shared/src/config-text.ts).
 */
export function parseBillingFileText(text: string, file: string): BillingFile {
  let raw: unknown;
  try {
    raw = parseConfigText(text);
  } catch (error) {
    if (!(error instanceof ConfigTextSyntaxError)) throw error;
    throw new BillingFileError([{ file, path: '', message: `not valid YAML/JSON: ${error.message}` }]);
  }
  return parseBillingFile(raw, file);
}

// Raw shapes after the schema passed.
interface RawFee {
  name: string;
  amount?: number;
  percent?: number;
}
interface RawProperty {
  id: string;
  name?: string;
  address?: string;
  timezone: string;
  currency?: string;
  taxes?: { name: string; percent: number }[];
  fees?: RawFee[];
  plans: {
    id: string;
    name?: string;
    versions: {
      from: string;
      urdb?: string;
      override?: Record<string, unknown>;
      rates?: Record<string, unknown>;
      label?: string;
    }[];
  }[];
  tenants: {
    id: string;
    name?: string;
    meters: (string | number)[];
    plan: string;
    moveIn?: string;
    moveOut?: string;
    area?: number;
    fees?: RawFee[];
    credits?: CreditConfig[];
  }[];
  commonAreas?: {
    id: string;
    name?: string;
    meters: (string | number)[];
    plan?: string;
    split: { by: SplitBy; shares?: Record<string, number> };
  }[];
}

/** Check a parsed billing document (schema, then the semantic checks) into typed config. */
export function parseBillingFile(raw: unknown, file: string): BillingFile {
  const validateSchema = schemaValidator();
  if (!validateSchema(raw)) throw new BillingFileError(schemaIssues(file, validateSchema.errors ?? []));
  const doc = raw as { version: 1; currency: string; properties: RawProperty[] };
  const issues: BillingIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ file, path, message });
  /** meter → where it is used (for overlaps across the whole file). */
  const meterUses = new Map<MeterId, { path: string; owner: string; from: string; to: string; property: string }[]>();
  const propertyIds = new Map<string, number>();

  const fees = (list: RawFee[] | undefined, path: string): FeeConfig[] =>
    (list ?? []).map((f, i) => {
      if ((f.amount === undefined) === (f.percent === undefined))
        issue(
          `${path}/${i}`,
          `a fee has exactly one of amount (currency units) or percent (of the charges before tax), got ${JSON.stringify(f)}`,
        );
      return f.amount !== undefined ? { name: f.name, amount: f.amount } : { name: f.name, percent: f.percent ?? 0 };
    });

  const unique = (ids: string[], path: (i: number) => string, what: string) => {
    const seen = new Map<string, number>();
    ids.forEach((id, i) => {
      const before = seen.get(id);
      if (before !== undefined)
        issue(path(i), `duplicate ${what} id ${JSON.stringify(id)} (also at ${path(before)}); ids must be unique`);
      else seen.set(id, i);
    });
  };

  const meters = (list: (string | number)[], path: string): MeterId[] =>
    list.map((m, k) => {
      try {
        return toMeterId(m);
      } catch {
        issue(
          `${path}/${k}`,
          `expected a meter address of 1-12 digits (e.g. "000300000011"), got ${JSON.stringify(m)}`,
        );
        return String(m);
      }
    });

  const dateOk = (value: string | undefined, path: string) => {
    if (value !== undefined && !isRealDate(value))
      issue(path, `expected a date YYYY-MM-DD, got ${JSON.stringify(value)}; that day does not exist`);
  };

  const properties = doc.properties.map((p, pi): PropertyConfig => {
    const pPath = `/properties/${pi}`;
    const seenProp = propertyIds.get(p.id);
    if (seenProp !== undefined)
      issue(`${pPath}/id`, `duplicate property id ${JSON.stringify(p.id)} (also at /properties/${seenProp})`);
    else propertyIds.set(p.id, pi);
    if (!isValidTimeZone(p.timezone))
      issue(
        `${pPath}/timezone`,
        `unknown time zone ${JSON.stringify(p.timezone)}; write an IANA zone such as America/New_York or UTC`,
      );

    unique(
      p.plans.map((pl) => pl.id),
      (i) => `${pPath}/plans/${i}/id`,
      'plan',
    );
    const plans = p.plans.map((pl, li): PlanConfig => {
      const plPath = `${pPath}/plans/${li}`;
      const versions = pl.versions.map((v, vi): PlanVersionConfig => {
        const vPath = `${plPath}/versions/${vi}`;
        dateOk(v.from, `${vPath}/from`);
        if ((v.urdb === undefined) === (v.rates === undefined))
          issue(
            vPath,
            'a version has exactly one of urdb (a URDB record file, relative to this file) or rates (the native form)',
          );
        if (v.override !== undefined && v.urdb === undefined)
          issue(`${vPath}/override`, 'override applies to a URDB record; put the values in rates instead');
        const prev = pl.versions[vi - 1];
        if (prev && !(v.from > prev.from))
          issue(
            `${vPath}/from`,
            `versions must be in date order: ${JSON.stringify(v.from)} is not after the previous version's ${JSON.stringify(prev.from)}`,
          );
        return {
          from: v.from,
          ...(v.urdb !== undefined ? { urdb: v.urdb } : {}),
          ...(v.override !== undefined ? { override: v.override } : {}),
          ...(v.rates !== undefined ? { rates: v.rates } : {}),
          ...(v.label !== undefined ? { label: v.label } : {}),
          path: vPath,
        };
      });
      return { id: pl.id, ...(pl.name !== undefined ? { name: pl.name } : {}), versions, path: plPath };
    });
    const planIds = plans.map((pl) => pl.id);
    const planHint = `plans of property ${p.id}: ${planIds.join(', ')}`;

    unique(
      p.tenants.map((t) => t.id),
      (i) => `${pPath}/tenants/${i}/id`,
      'tenant',
    );
    const tenants = p.tenants.map((t, ti): TenantConfig => {
      const tPath = `${pPath}/tenants/${ti}`;
      if (!planIds.includes(t.plan)) issue(`${tPath}/plan`, `unknown plan ${JSON.stringify(t.plan)}; ${planHint}`);
      dateOk(t.moveIn, `${tPath}/moveIn`);
      dateOk(t.moveOut, `${tPath}/moveOut`);
      if (t.moveIn !== undefined && t.moveOut !== undefined && t.moveOut < t.moveIn)
        issue(`${tPath}/moveOut`, `moveOut ${t.moveOut} is before moveIn ${t.moveIn}; both dates are billed days`);
      const ms = meters(t.meters, `${tPath}/meters`);
      ms.forEach((m, k) => {
        const uses = meterUses.get(m) ?? [];
        uses.push({
          path: `${tPath}/meters/${k}`,
          owner: `tenant ${t.id}`,
          from: t.moveIn ?? '0000-01-01',
          to: t.moveOut ?? '9999-12-31',
          property: p.id,
        });
        meterUses.set(m, uses);
      });
      (t.credits ?? []).forEach((c, ci) => {
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(c.month))
          issue(`${tPath}/credits/${ci}/month`, `expected a month YYYY-MM, got ${JSON.stringify(c.month)}`);
      });
      return {
        id: t.id,
        ...(t.name !== undefined ? { name: t.name } : {}),
        meters: ms,
        plan: t.plan,
        ...(t.moveIn !== undefined ? { moveIn: t.moveIn } : {}),
        ...(t.moveOut !== undefined ? { moveOut: t.moveOut } : {}),
        ...(t.area !== undefined ? { area: t.area } : {}),
        fees: fees(t.fees, `${tPath}/fees`),
        credits: t.credits ?? [],
        path: tPath,
      };
    });
    const tenantIds = tenants.map((t) => t.id);

    unique(
      (p.commonAreas ?? []).map((c) => c.id),
      (i) => `${pPath}/commonAreas/${i}/id`,
      'common area',
    );
    const commonAreas = (p.commonAreas ?? []).map((c, ci): CommonAreaConfig => {
      const cPath = `${pPath}/commonAreas/${ci}`;
      let plan = c.plan;
      if (plan === undefined) {
        if (planIds.length === 1) plan = planIds[0]!;
        else issue(`${cPath}`, `missing plan: the property has ${planIds.length} plans; name one (${planHint})`);
      } else if (!planIds.includes(plan)) issue(`${cPath}/plan`, `unknown plan ${JSON.stringify(plan)}; ${planHint}`);
      const ms = meters(c.meters, `${cPath}/meters`);
      ms.forEach((m, k) => {
        const uses = meterUses.get(m) ?? [];
        uses.push({
          path: `${cPath}/meters/${k}`,
          owner: `common area ${c.id}`,
          from: '0000-01-01',
          to: '9999-12-31',
          property: p.id,
        });
        meterUses.set(m, uses);
      });
      const { by, shares } = c.split;
      if (shares !== undefined && by !== 'fixed')
        issue(`${cPath}/split/shares`, `shares apply to split by: fixed; by: ${by} computes the weights itself`);
      for (const id of Object.keys(shares ?? {}))
        if (!tenantIds.includes(id))
          issue(
            `${cPath}/split/shares/${id}`,
            `unknown tenant ${JSON.stringify(id)}; tenants of property ${p.id}: ${tenantIds.join(', ')}`,
          );
      if (by === 'area')
        tenants.forEach((t, ti) => {
          if (t.area === undefined)
            issue(
              `${pPath}/tenants/${ti}`,
              `common area ${c.id} is split by area, but tenant ${t.id} has no area; add area: (floor area, any unit)`,
            );
        });
      return {
        id: c.id,
        ...(c.name !== undefined ? { name: c.name } : {}),
        meters: ms,
        plan: plan ?? '',
        split: { by, ...(shares !== undefined ? { shares } : {}) },
        path: cPath,
      };
    });

    return {
      id: p.id,
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.address !== undefined ? { address: p.address } : {}),
      timezone: p.timezone,
      currency: p.currency ?? doc.currency,
      taxes: (p.taxes ?? []).map((t) => ({ name: t.name, percent: t.percent })),
      fees: fees(p.fees, `${pPath}/fees`),
      plans,
      tenants,
      commonAreas,
      path: pPath,
    };
  });

  for (const [meter, uses] of meterUses) {
    for (let b = 1; b < uses.length; b++) {
      for (let a = 0; a < b; a++) {
        const x = uses[a]!;
        const y = uses[b]!;
        if (x.from <= y.to && y.from <= x.to) {
          const span = (u: typeof x) =>
            `${u.from === '0000-01-01' ? 'always' : `from ${u.from}`}${u.to === '9999-12-31' ? '' : ` to ${u.to}`}`;
          issue(
            y.path,
            `meter ${meter} is also on ${x.owner} (${x.path}, ${span(x)}) while ${y.owner} has it ${span(y)}; tenancies on one meter must not overlap: set moveOut of one before moveIn of the other${x.property !== y.property ? ' (and a meter belongs to one property)' : ''}`,
          );
        }
      }
    }
  }

  if (issues.length > 0) throw new BillingFileError(issues);
  return { file, version: 1, currency: doc.currency, properties };
}

/** First day of a month `YYYY-MM`. */
function firstOfMonth(month: string): string {
  return `${month}-01`;
}

/**
 * The plan version in force for a month: the latest `from` on or before the month's first day (a
 * version starting mid-month prices from the next month, so no closed month is re-priced). Throws
 * a ValidationError naming the plan's versions when none is in force (a gap).
 */
export function versionInForce(billing: BillingFile, plan: PlanConfig, month: string): PlanVersionConfig {
  const first = firstOfMonth(month);
  let found: PlanVersionConfig | undefined;
  for (const v of plan.versions) if (v.from <= first) found = v;
  if (!found) {
    const earliest = plan.versions[0]?.from ?? '(none)';
    throw new ValidationError(
      `${billing.file}: ${plan.path}/versions`,
      `plan ${plan.id} has no version in force for ${month}: its first version starts ${earliest}, and a version applies from the first month that starts on or after its date; add a version with from on or before ${first}`,
    );
  }
  return found;
}
