/**
 * The invoice as the JSON contract of `--json` and of the `<invoice>.json` files: snake_case keys in
 * a fixed order, money as integer minor units, quantities cleaned of float artefacts (12
 * significant digits). The CLI prints `{"invoices":[invoiceToJson(...), ...]}`.
 */

import type { BillingFlag, Invoice, InvoiceLine, LineKind } from './model';
import { assertRenderable, cleanNumber, invoiceId } from './render-format';

/** One invoice line in JSON. */
export interface InvoiceLineJson {
  readonly kind: LineKind;
  readonly description: string;
  readonly quantity: number;
  readonly unit: string;
  readonly rate: number;
  readonly amount_minor: number;
  /** The unrounded amount in currency units (reconciliation with NREL SAM). */
  readonly amount: number;
  readonly period?: number;
  readonly tier?: number;
}

export interface BillingFlagJson {
  readonly code: BillingFlag['code'];
  readonly message: string;
  readonly meter?: string;
  readonly dates?: readonly string[];
}

/** The contract shape (`property` … `flags`) plus the fields after it. */
export interface InvoiceJson {
  readonly property: string;
  readonly tenant: string;
  readonly period: { readonly start: string; readonly end: string };
  readonly currency: string;
  readonly kwh: number;
  readonly total_minor: number;
  readonly lines: readonly InvoiceLineJson[];
  readonly flags: readonly BillingFlagJson[];
  /** Deterministic invoice id, as in the file names and the CSV. */
  readonly invoice: string;
  readonly property_name?: string;
  readonly property_address?: string;
  readonly tenant_name?: string;
  readonly timezone: string;
  readonly peak_kw: number;
  readonly plan: { readonly id: string; readonly version_from: string; readonly name?: string };
  readonly meters: readonly string[];
  readonly daily_kwh: readonly { readonly date: string; readonly kwh: number; readonly estimated: boolean }[];
  readonly kwh_by_period: readonly { readonly period: number; readonly label: string; readonly kwh: number }[];
}

function lineToJson(line: InvoiceLine): InvoiceLineJson {
  return {
    kind: line.kind,
    description: line.description,
    quantity: cleanNumber(line.quantity),
    unit: line.unit,
    rate: cleanNumber(line.rate),
    amount_minor: line.amountMinor,
    amount: cleanNumber(line.amount),
    ...(line.period !== undefined ? { period: line.period } : {}),
    ...(line.tier !== undefined ? { tier: line.tier } : {}),
  };
}

function flagToJson(flag: BillingFlag): BillingFlagJson {
  return {
    code: flag.code,
    message: flag.message,
    ...(flag.meter !== undefined ? { meter: flag.meter } : {}),
    ...(flag.dates !== undefined ? { dates: [...flag.dates] } : {}),
  };
}

/**
 * One invoice as its JSON value (pass it to `JSON.stringify`).
 *
 * @throws ValidationError when the total is not the sum of the lines, the currency is unknown or a
 *   period date is not a real `YYYY-MM-DD` date.
 */
export function invoiceToJson(invoice: Invoice): InvoiceJson {
  assertRenderable(invoice);
  return {
    property: invoice.property,
    tenant: invoice.tenant,
    period: { start: invoice.period.start, end: invoice.period.end },
    currency: invoice.currency,
    kwh: cleanNumber(invoice.kWh),
    total_minor: invoice.totalMinor,
    lines: invoice.lines.map(lineToJson),
    flags: invoice.flags.map(flagToJson),
    invoice: invoiceId(invoice),
    ...(invoice.propertyName !== undefined ? { property_name: invoice.propertyName } : {}),
    ...(invoice.propertyAddress !== undefined ? { property_address: invoice.propertyAddress } : {}),
    ...(invoice.tenantName !== undefined ? { tenant_name: invoice.tenantName } : {}),
    timezone: invoice.timezone,
    peak_kw: cleanNumber(invoice.peakKw),
    plan: {
      id: invoice.plan.id,
      version_from: invoice.plan.versionFrom,
      ...(invoice.plan.name !== undefined ? { name: invoice.plan.name } : {}),
    },
    meters: [...invoice.meters],
    daily_kwh: invoice.dailyKWh.map((d) => ({ date: d.date, kwh: cleanNumber(d.kWh), estimated: d.estimated })),
    kwh_by_period: invoice.kWhByPeriod.map((p) => ({ period: p.period, label: p.label, kwh: cleanNumber(p.kWh) })),
  };
}
