/**
 * Formatting shared by the invoice renderers (HTML, CSV, JSON): invoice ids, money from integer
 * minor units, plain decimals without float artefacts, HTML escaping and flag explanations.
 * Pure: no I/O, no clock; the same invoice always formats to the same text.
 */

import { ValidationError } from '../errors';
import type { BillingFlag, Invoice } from './model';
import { minorDigits } from './money';

/** Locale of every number, date and money amount on the rendered documents. */
export const RENDER_LOCALE = 'en-US';

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const SLUG_MAX = 80;

/**
 * The deterministic id of an invoice: `<property>-<YYYY-MM>-<tenant>` as lowercase slugs
 * (`elm-street-2026-03-unit-a`), the month taken from `period.start`. It names the invoice's files
 * and its CSV rows until the monthly close gives the invoice a number, which then replaces it.
 */
export function invoiceId(invoice: Invoice): string {
  // A closed invoice is known by its number (docs/billing.md "Monthly close").
  if (invoice.number !== undefined) return invoice.number;
  const month = parseLocalDate(invoice.period.start, 'period.start').slice(0, 7);
  return `${slug(invoice.property)}-${month}-${slug(invoice.tenant)}`;
}

/**
 * A file-name-safe lowercase slug: accents dropped, every run of other characters becomes `-`,
 * at most 80 characters. Text with no letters or digits at all becomes `x` + a short hash of it, so
 * the slug is never empty and still differs between such texts.
 */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
  return s === '' ? `x${fnv1a(text)}` : s;
}

/** 32-bit FNV-1a of the UTF-16 code units, 8 hex digits (deterministic, not cryptographic). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Check a `YYYY-MM-DD` local date (a real calendar date) and return it; `field` names it in the error. */
export function parseLocalDate(date: string, field: string): string {
  const m = LOCAL_DATE.exec(date);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (!m || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw new ValidationError(field, `expected a local date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
  return date;
}

/** UTC ms of a `YYYY-MM-DD` date at midnight UTC: only for calendar arithmetic and display. */
function dateMs(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

/** Days from `start` to `end`, both included (`2026-04-01`..`2026-04-30` → 30). */
export function daysInclusive(start: string, end: string): number {
  return Math.round((dateMs(end) - dateMs(start)) / 86_400_000) + 1;
}

const DATE_LONG = new Intl.DateTimeFormat(RENDER_LOCALE, {
  timeZone: 'UTC',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
const MONTH_YEAR = new Intl.DateTimeFormat(RENDER_LOCALE, { timeZone: 'UTC', year: 'numeric', month: 'long' });

/** `2026-04-01` → `Apr 1, 2026`. The date is a local calendar date, so no zone conversion happens. */
export function formatDate(date: string): string {
  return DATE_LONG.format(dateMs(date));
}

/** `2026-04-01` → `April 2026`. */
export function formatMonth(date: string): string {
  return MONTH_YEAR.format(dateMs(date));
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Digits of the currency's minor unit (USD 2, JPY 0, KWD 3): the engine's own table (money.ts), so
 * amounts render with the digits `amountMinor` was rounded to. Intl's (CLDR's) digits differ for
 * some currencies (HUF, IDR, COP: 0 in CLDR) and are not used.
 */
export function currencyMinorDigits(currency: string): number {
  return minorDigits(currency);
}

/** The currency's formatter, always with exactly its minor digits. */
function moneyFormat(currency: string): Intl.NumberFormat {
  let f = moneyFormats.get(currency);
  if (!f) {
    const digits = currencyMinorDigits(currency);
    f = new Intl.NumberFormat(RENDER_LOCALE, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    moneyFormats.set(currency, f);
  }
  return f;
}

function assertMinor(minor: number, field: string): void {
  if (!Number.isSafeInteger(minor)) {
    throw new ValidationError(field, `expected an integer amount in minor units, got ${minor}`);
  }
}

/**
 * Integer minor units as a plain decimal string with exactly the currency's digits, built from the
 * integer's digits (never float division): `1230, USD` → `12.30`, `-5, USD` → `-0.05`, `1235, JPY` → `1235`.
 */
export function minorToDecimal(minor: number, currency: string, field = 'amountMinor'): string {
  assertMinor(minor, field);
  const digits = currencyMinorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${sign}${abs}`;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/**
 * Integer minor units as money for people, with the currency's symbol and digits
 * (`-1230, USD` → `-$12.30`, `1235, JPY` → `¥1,235`).
 */
export function formatMoney(minor: number, currency: string, field = 'amountMinor'): string {
  // Intl formats a decimal string exactly (ECMA-402 NumberFormat v3, Node 19+); a float
  // `minor / 100` would lose the last cent above about 10^13 minor units.
  const exact = moneyFormat(currency) as unknown as { format(value: string): string };
  return exact.format(minorToDecimal(minor, currency, field));
}

const rateFormats = new Map<string, Intl.NumberFormat>();

/** A unit price in currency units with up to 6 decimals but at least the currency's (`$0.3124`, `¥31.5`). */
export function formatRate(rate: number, currency: string): string {
  let f = rateFormats.get(currency);
  if (!f) {
    const digits = currencyMinorDigits(currency);
    f = new Intl.NumberFormat(RENDER_LOCALE, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: Math.max(digits, 6),
    });
    rateFormats.set(currency, f);
  }
  return f.format(rate);
}

const numberFormats = new Map<number, Intl.NumberFormat>();

/** A quantity for people, grouped, with up to `maxDigits` decimals (`1234.5` → `1,234.5`). */
export function formatNumber(value: number, maxDigits: number, minDigits = 0): string {
  const key = maxDigits * 100 + minDigits;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(RENDER_LOCALE, { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits });
    numberFormats.set(key, f);
  }
  // Intl would print -0 as "-0".
  return f.format(value === 0 ? 0 : value);
}

/**
 * A plain decimal string for machines (CSV): at most `maxDigits` decimals, trailing zeros dropped, no
 * exponent, no grouping, no `-0` (`0.30000000000000004` → `0.3`, `412.5` → `412.5`).
 */
export function plainDecimal(value: number, maxDigits: number): string {
  if (!Number.isFinite(value)) throw new ValidationError('number', `expected a finite number, got ${value}`);
  // toFixed switches to exponent form at 1e21, where every double is an integer anyway.
  const fixed = Math.abs(value) >= 1e21 ? BigInt(value).toString() : value.toFixed(maxDigits);
  const trimmed = fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/**
 * A number cleaned of float artefacts for JSON: 12 significant digits (`0.1 + 0.2` → `0.3`), `-0` → `0`.
 * Twelve digits keep Wh on a GWh register and sub-cent rates exact.
 */
export function cleanNumber(value: number): number {
  if (!Number.isFinite(value)) throw new ValidationError('number', `expected a finite number, got ${value}`);
  const n = Number(value.toPrecision(12));
  return n === 0 ? 0 : n;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Check what every renderer relies on, so no document shows lines that do not add up: amounts are
 * integers, `totalMinor` is exactly their sum, the period dates are real dates and the currency is known.
 */
export function assertRenderable(invoice: Invoice): void {
  parseLocalDate(invoice.period.start, 'period.start');
  parseLocalDate(invoice.period.end, 'period.end');
  currencyMinorDigits(invoice.currency);
  let sum = 0;
  invoice.lines.forEach((line, i) => {
    assertMinor(line.amountMinor, `lines[${i}].amountMinor`);
    sum += line.amountMinor;
  });
  assertMinor(invoice.totalMinor, 'totalMinor');
  if (sum !== invoice.totalMinor) {
    throw new ValidationError(
      'totalMinor',
      `invoice ${invoice.property}/${invoice.tenant}: total ${invoice.totalMinor} is not the sum of its lines (${sum})`,
    );
  }
}

/** A flag explained for a tenant: a heading and a sentence of what it means for this bill. */
export interface FlagExplanation {
  readonly title: string;
  readonly meaning: string;
}

const FLAG_EXPLANATIONS: Record<BillingFlag['code'], FlagExplanation> = {
  ESTIMATED_USAGE: {
    title: 'Estimated usage',
    meaning:
      'The meter did not report for part of this period, so that usage was estimated from the readings around the gap. Estimated days are hatched in the daily usage chart; the next actual readings correct any difference.',
  },
  REGISTER_WENT_BACKWARDS: {
    title: 'Meter reading went backwards',
    meaning:
      'A reading was lower than the one before it (a replaced meter, a register rollover or a bad read). That step was counted as zero usage, never as a negative amount.',
  },
  NO_READINGS: {
    title: 'No readings',
    meaning: 'A meter sent no readings at all in or around this period, so it contributed no usage to this bill.',
  },
  PARTIAL_COVERAGE: {
    title: 'Readings cover only part of the period',
    meaning: 'Readings start after the period began or stop before it ended; usage outside them is not on this bill.',
  },
  DEMAND_WINDOW_COARSER: {
    title: 'Demand measured over 15 minutes',
    meaning:
      'The tariff measures peak demand over a window shorter than the 15-minute readings, so the peak was taken from 15-minute averages.',
  },
  RATCHET_HISTORY_MISSING: {
    title: 'Earlier peaks unavailable',
    meaning:
      "The tariff's demand ratchet looks at earlier months' peaks, and some of them were not available; only the available months were used.",
  },
  PRORATED: {
    title: 'Part-month charges',
    meaning: 'You moved in or out during this period, so monthly charges are prorated to the days occupied.',
  },
};

/** What a flag means in words (a generic sentence for a code this version does not know). */
export function explainFlag(flag: BillingFlag): FlagExplanation {
  return (
    FLAG_EXPLANATIONS[flag.code] ?? {
      title: String(flag.code),
      meaning: 'The billing engine noted something about this period; see the detail below.',
    }
  );
}
