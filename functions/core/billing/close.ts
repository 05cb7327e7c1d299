/**
 * The monthly close, pure parts (docs/billing.md "Monthly close"): canonical JSON and content
 * hashes (so a re-run stores byte-identical drafts), invoice numbers, the adjustment line that
 * carries a re-priced closed month into the next month's draft, and credit-note documents.
 */

import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import type { BillingFile, PropertyConfig } from './billing-file';
import type { Invoice, InvoiceLine } from './model';
import { minorDigits } from './money';

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the
 * same bytes, whatever order its keys were built in. `undefined` members are dropped (as JSON does).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** `sha256:<hex>` of a text (UTF-8). */
export function contentHash(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * What a month was billed from, per property: the property's part of the billing file (plans,
 * tenants, fees, taxes as parsed) and every URDB record a plan version in force used, so a closed
 * month can be re-priced exactly as it was billed when late readings arrive.
 */
export interface BillingSnapshotContent {
  readonly file: string;
  readonly currency: string;
  readonly property: PropertyConfig;
  /** URDB record JSON by the path written in the billing file. */
  readonly urdb: Readonly<Record<string, unknown>>;
}

/** Canonical text and hash of a snapshot. */
export function snapshotText(content: BillingSnapshotContent): { body: string; hash: string } {
  const body = canonicalJson(content);
  return { body, hash: contentHash(body) };
}

/**
 * The digest of a month's whole set of drafts (tenant and body of each, in tenant order): stored
 * when a draft run has written all of them, checked by the close, so a set cut short by a crash is
 * never frozen.
 */
export function draftsDigest(drafts: readonly { readonly tenant: string; readonly body: string }[]): string {
  const sorted = [...drafts].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0));
  return contentHash(canonicalJson(sorted.map((d) => [d.tenant, d.body])));
}

/** The billing file a snapshot stands for (one property), for re-pricing a closed month. */
export function billingFileOfSnapshot(content: BillingSnapshotContent): BillingFile {
  return { file: content.file, version: 1, currency: content.currency, properties: [content.property] };
}

/** `YYYY-MM` of the month before. */
export function previousMonth(month: string): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

export type BillingDocumentKind = 'invoice' | 'credit_note';

/**
 * The number prefix of a property: its id upper-cased, runs of anything but A-Z and 0-9 as `-`
 * (`elm` → `ELM`, `oak street` → `OAK-STREET`, accents dropped).
 */
export function numberPrefix(property: string): string {
  const p = property
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return p === '' ? 'X' : p;
}

/**
 * An invoice number: `<PREFIX>-<YYYY>-<MM>-<seq>` (`ELM-2026-03-0001`), a credit note
 * `<PREFIX>-CN-<YYYY>-<MM>-<seq>`. `seq` is the property's one gapless sequence shared by invoices
 * and credit notes (at least 4 digits, more once it passes 9999); the month is the billed month of
 * an invoice and the month a credit note was issued.
 */
export function documentNumber(property: string, kind: BillingDocumentKind, month: string, seq: number): string {
  if (!Number.isInteger(seq) || seq < 1) throw new ValidationError('seq', `expected a positive integer, got ${seq}`);
  const cn = kind === 'credit_note' ? 'CN-' : '';
  return `${numberPrefix(property)}-${cn}${month}-${String(seq).padStart(4, '0')}`;
}

/** The sequence of a document number (`ELM-2026-03-0007` → 7). */
export function sequenceOfNumber(number: string): number {
  const m = /-(\d{4,})$/.exec(number);
  if (!m) throw new ValidationError('number', `expected a number like ELM-2026-03-0001, got ${JSON.stringify(number)}`);
  return Number(m[1]);
}

/** Where a draft or closed invoice came from (stored with it, published in its JSON). */
export interface InvoiceProvenance {
  readonly meters: readonly string[];
  /** Reads of those meters inside the period (UTC ms), and how many. */
  readonly readings: { readonly count: number; readonly firstMs?: number; readonly lastMs?: number };
  readonly plan: { readonly id: string; readonly versionFrom: string };
  /** Hash of the billing snapshot the invoice was priced from. */
  readonly snapshotHash: string;
  /** Adjustments carried from the previous closed month. */
  readonly adjustments?: readonly AdjustmentProvenance[];
}

export interface AdjustmentProvenance {
  readonly month: string;
  readonly invoiceNumber: string;
  readonly oldTotalMinor: number;
  readonly newTotalMinor: number;
}

/** What a draft stores: the priced invoice and its provenance. */
export interface DraftBody {
  readonly invoice: Invoice;
  readonly provenance: InvoiceProvenance;
}

/** What a closed document stores (and publishes as JSON beside the invoice fields). */
export interface ClosedBody {
  readonly number: string;
  readonly kind: BillingDocumentKind;
  readonly invoice: Invoice;
  readonly provenance?: InvoiceProvenance;
  /** A credit note: the number of the invoice it corrects, and why. */
  readonly refersTo?: string;
  readonly reason?: string;
}

/**
 * The line that carries a closed month's re-pricing into the next month's invoice: the difference
 * of the totals (taxes included, so it is added after the taxes and never taxed again).
 */
export function adjustmentLine(adj: AdjustmentProvenance, currency: string): InvoiceLine {
  const digits = minorDigits(currency);
  const diff = adj.newTotalMinor - adj.oldTotalMinor;
  const fmt = (minor: number) => (minor / 10 ** digits).toFixed(digits);
  return {
    kind: 'adjustment',
    description: `Adjustment for ${adj.month} (invoice ${adj.invoiceNumber}): re-priced with late readings, ${fmt(adj.oldTotalMinor)} → ${fmt(adj.newTotalMinor)}`,
    quantity: 1,
    unit: 'invoice',
    rate: diff / 10 ** digits,
    amount: diff / 10 ** digits,
    amountMinor: diff,
  };
}

/** The invoice with extra lines at the end and its total recomputed from the lines. */
export function withLines(invoice: Invoice, extra: readonly InvoiceLine[]): Invoice {
  const lines = [...invoice.lines, ...extra];
  return { ...invoice, lines, totalMinor: lines.reduce((s, l) => s + l.amountMinor, 0) };
}

/**
 * A credit note for (part of) a closed invoice, as an invoice-shaped document: one negative
 * `credit` line of `amountMinor`, no usage. It references the invoice by number; the invoice
 * itself is never changed.
 */
export function creditNoteInvoice(
  original: Invoice,
  originalNumber: string,
  amountMinor: number,
  reason: string,
): Invoice {
  const digits = minorDigits(original.currency);
  const amount = amountMinor / 10 ** digits;
  return {
    ...original,
    kWh: 0,
    peakKw: 0,
    lines: [
      {
        kind: 'credit',
        description: `Credit note for invoice ${originalNumber}: ${reason}`,
        quantity: 1,
        unit: 'credit',
        rate: -amount,
        amount: -amount,
        amountMinor: -amountMinor,
      },
    ],
    totalMinor: -amountMinor,
    flags: [],
    dailyKWh: [],
    kWhByPeriod: [],
  };
}
