/**
 * Invoices as one CSV for the accounting import: a header, then one row per invoice line.
 *
 * - RFC 4180: comma-separated, CRLF after every row (the last too), a field quoted when it holds a
 *   comma, a double quote, CR or LF, quotes doubled inside.
 * - Amounts are decimal strings built from the integer minor units with the currency's digits
 *   (`12.30`, `-5.00`, JPY `1235`): never a float artefact. Quantity has at most 3 decimals and
 *   rate at most 6, trailing zeros dropped (`182.4`, `0.3124`).
 * - Formula-injection guard (OWASP "CSV injection"): a text cell (invoice, property, tenant, kind,
 *   description, unit) starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, so a
 *   spreadsheet shows it as text instead of running it. Numeric cells are never prefixed: they are
 *   made here from numbers, so a leading `-` is a minus sign (`-12.30`) and must stay importable.
 *   The cost: a description such as `-5% loyalty` arrives as `'-5% loyalty`.
 * - Rows keep the invoices' order and each invoice's line order: identical input, identical bytes.
 */

import type { Invoice } from './model';
import { assertRenderable, invoiceId, minorToDecimal, plainDecimal } from './render-format';

export { invoiceId } from './render-format';

/** The CSV header, in column order. */
export const INVOICE_CSV_COLUMNS = [
  'invoice',
  'property',
  'tenant',
  'period_start',
  'period_end',
  'kind',
  'description',
  'quantity',
  'unit',
  'rate',
  'amount',
] as const;

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: quoted only when needed. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A text cell: formula-looking text made inert with a leading `'`, then quoted as needed. */
export function csvText(value: string): string {
  return csvField(FORMULA_START.test(value) ? `'${value}` : value);
}

/**
 * Render invoices as one CSV, one row per line (columns {@link INVOICE_CSV_COLUMNS}).
 *
 * @throws ValidationError when an invoice's total is not the sum of its lines, its currency is
 *   unknown or an amount is not an integer.
 */
export function renderInvoicesCsv(invoices: readonly Invoice[]): string {
  const rows = [INVOICE_CSV_COLUMNS.join(',')];
  for (const invoice of invoices) {
    assertRenderable(invoice);
    const id = invoiceId(invoice);
    invoice.lines.forEach((line, i) => {
      rows.push(
        [
          csvText(id),
          csvText(invoice.property),
          csvText(invoice.tenant),
          invoice.period.start,
          invoice.period.end,
          csvText(line.kind),
          csvText(line.description),
          plainDecimal(line.quantity, 3),
          csvText(line.unit),
          plainDecimal(line.rate, 6),
          minorToDecimal(line.amountMinor, invoice.currency, `lines[${i}].amountMinor`),
        ].join(','),
      );
    });
  }
  return `${rows.join('\r\n')}\r\n`;
}
