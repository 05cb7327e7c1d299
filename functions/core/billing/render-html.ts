/**
 * The invoice as a printable, self-contained HTML page (inline CSS and SVG, no scripts, no external
 * resources), filled into a template the user can replace (`templates/invoice.html` documents the
 * placeholder syntax). Pure: the template arrives as text; the default is compiled in.
 */

import { ValidationError } from '../errors';
import { DEFAULT_INVOICE_TEMPLATE } from './invoice-template';
import type { BillingFlag, Invoice, InvoiceLine, LineKind } from './model';
import {
  assertRenderable,
  daysInclusive,
  escapeHtml,
  explainFlag,
  formatDate,
  formatMoney,
  formatMonth,
  formatNumber,
  formatRate,
  invoiceId,
  RENDER_LOCALE,
} from './render-format';

export { DEFAULT_INVOICE_TEMPLATE } from './invoice-template';

/** Text placeholders (`{{name}}`): always HTML-escaped when inserted. */
export const INVOICE_TEXT_PLACEHOLDERS = [
  'title',
  'invoice_id',
  'property',
  'property_id',
  'property_address',
  'tenant',
  'tenant_id',
  'tenant_name',
  'period_start',
  'period_end',
  'period',
  'period_month',
  'days',
  'timezone',
  'currency',
  'plan_id',
  'plan_name',
  'plan_version',
  'meters',
  'kwh',
  'peak_kw',
  'avg_daily_kwh',
  'estimated_days',
  'subtotal',
  'tax_total',
  'total',
  'total_label',
] as const;

/** Block placeholders (`{{{name}}}`): HTML the renderer built, every value in it already escaped. */
export const INVOICE_BLOCK_PLACEHOLDERS = [
  'lines_rows',
  'tax_rows',
  'usage_chart_svg',
  'period_rows',
  'flags_html',
] as const;

export type InvoiceTextPlaceholder = (typeof INVOICE_TEXT_PLACEHOLDERS)[number];
export type InvoiceBlockPlaceholder = (typeof INVOICE_BLOCK_PLACEHOLDERS)[number];

/** What a template is filled with: text values (escaped on insertion) and pre-rendered HTML blocks. */
export interface InvoiceTemplateValues {
  readonly text: Readonly<Record<InvoiceTextPlaceholder, string>>;
  readonly blocks: Readonly<Record<InvoiceBlockPlaceholder, string>>;
}

const TEXT_NAMES: ReadonlySet<string> = new Set(INVOICE_TEXT_PLACEHOLDERS);
const BLOCK_NAMES: ReadonlySet<string> = new Set(INVOICE_BLOCK_PLACEHOLDERS);

// Comments first (removed, with the newline after them), then triple braces, then double braces.
const TOKEN = /\{\{!--[\s\S]*?--\}\}\n?|\{\{\{([^{}]*)\}\}\}|\{\{([^{}]*)\}\}/g;
const NAME = /^[a-z][a-z0-9_]*$/;

type Piece = string | { readonly kind: 'text' | 'block'; readonly name: string };

function lineOf(template: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (template.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Split a template into literal text and placeholders, checking every placeholder. Throws a
 * ValidationError (field `template`) naming the placeholder and its line when a name is unknown, a
 * text value is in triple braces (it would skip escaping) or a block is in double braces.
 */
function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  const fail = (index: number, what: string, hint = ''): never => {
    throw new ValidationError('template', `${what} on line ${lineOf(template, index)}${hint ? `; ${hint}` : ''}`);
  };
  for (const m of template.matchAll(TOKEN)) {
    const index = m.index ?? 0;
    pieces.push(template.slice(last, index));
    last = index + m[0].length;
    if (m[1] === undefined && m[2] === undefined) continue; // a comment
    const triple = m[1] !== undefined;
    const name = (m[1] ?? m[2] ?? '').trim();
    const shown = triple ? `{{{${name}}}}` : `{{${name}}}`;
    if (!NAME.test(name))
      fail(index, `malformed placeholder ${JSON.stringify(m[0])}`, 'expected {{name}} or {{{name}}}');
    if (triple) {
      if (TEXT_NAMES.has(name)) fail(index, `${shown} is a text value`, `write {{${name}}} so it is HTML-escaped`);
      if (!BLOCK_NAMES.has(name))
        fail(index, `unknown placeholder ${shown}`, `blocks are ${[...BLOCK_NAMES].join(', ')}`);
      pieces.push({ kind: 'block', name });
    } else {
      if (BLOCK_NAMES.has(name)) fail(index, `${shown} is an HTML block`, `write {{{${name}}}}`);
      if (!TEXT_NAMES.has(name)) {
        fail(index, `unknown placeholder ${shown}`, `text values are ${[...TEXT_NAMES].join(', ')}`);
      }
      pieces.push({ kind: 'text', name });
    }
  }
  pieces.push(template.slice(last));
  return pieces;
}

/**
 * Check a user template without rendering anything (the CLI does this before writing any file).
 * Throws the same ValidationError {@link renderInvoiceHtml} would.
 */
export function checkInvoiceTemplate(template: string): void {
  parseTemplate(template);
}

/** Fill parsed template pieces: text values escaped, blocks inserted as they are. */
function fill(pieces: readonly Piece[], values: InvoiceTemplateValues): string {
  return pieces
    .map((p) => {
      if (typeof p === 'string') return p;
      return p.kind === 'text'
        ? escapeHtml(values.text[p.name as InvoiceTextPlaceholder])
        : values.blocks[p.name as InvoiceBlockPlaceholder];
    })
    .join('');
}

/**
 * Render one invoice as a printable HTML page.
 *
 * @param invoice - a finished invoice; its `totalMinor` must be the sum of its lines.
 * @param template - template text (`templates/invoice.html` syntax); the default page when omitted.
 * @returns the whole page; identical input gives identical bytes (no clock, no randomness).
 * @throws ValidationError for an unknown or misused placeholder (field `template`), an unknown
 *   currency, a bad period date or a total that is not the sum of the lines.
 */
export function renderInvoiceHtml(invoice: Invoice, template: string = DEFAULT_INVOICE_TEMPLATE): string {
  const pieces = parseTemplate(template); // template errors first: they are the user's to fix
  assertRenderable(invoice);
  return fill(pieces, invoiceTemplateValues(invoice));
}

/** Every placeholder's value for one invoice (text unescaped; blocks already escaped HTML). */
export function invoiceTemplateValues(invoice: Invoice): InvoiceTemplateValues {
  const { currency, period } = invoice;
  const id = invoiceId(invoice);
  const days = daysInclusive(period.start, period.end);
  const taxes = invoice.lines.filter((l) => l.kind === 'tax');
  const charges = invoice.lines.filter((l) => l.kind !== 'tax');
  const sum = (lines: readonly InvoiceLine[]) => lines.reduce((s, l) => s + l.amountMinor, 0);
  const estimatedDays = invoice.dailyKWh.filter((d) => d.estimated).length;
  const sameMonth = period.start.slice(0, 7) === period.end.slice(0, 7);
  const periodText = `${formatDate(period.start)} – ${formatDate(period.end)}`;
  const tiered = invoice.lines.some((l) => (l.tier ?? 0) > 0);
  const row = (line: InvoiceLine) => lineRow(line, invoice, tiered);
  return {
    text: {
      title: `Invoice ${id}`,
      invoice_id: id,
      property: invoice.propertyName?.trim() || invoice.property,
      property_id: invoice.property,
      property_address: invoice.propertyAddress ?? '',
      tenant: invoice.tenantName?.trim() ? `${invoice.tenantName.trim()} (${invoice.tenant})` : invoice.tenant,
      tenant_id: invoice.tenant,
      tenant_name: invoice.tenantName?.trim() || invoice.tenant,
      period_start: formatDate(period.start),
      period_end: formatDate(period.end),
      period: periodText,
      period_month: sameMonth ? formatMonth(period.start) : periodText,
      days: String(days),
      timezone: invoice.timezone,
      currency,
      plan_id: invoice.plan.id,
      plan_name: invoice.plan.name?.trim() || invoice.plan.id,
      plan_version: invoice.plan.versionFrom,
      meters: invoice.meters.join(', '),
      kwh: formatNumber(invoice.kWh, 1, 1),
      peak_kw: formatNumber(invoice.peakKw, 2, 2),
      avg_daily_kwh: formatNumber(days > 0 ? invoice.kWh / days : 0, 1, 1),
      estimated_days: String(estimatedDays),
      subtotal: formatMoney(sum(charges), currency),
      tax_total: formatMoney(sum(taxes), currency),
      total: formatMoney(invoice.totalMinor, currency),
      total_label: invoice.totalMinor < 0 ? 'Credit balance' : 'Amount due',
    },
    blocks: {
      lines_rows: charges.map(row).join('\n'),
      tax_rows: taxes.map(row).join('\n'),
      usage_chart_svg: usageChartSvg(invoice),
      period_rows: periodRows(invoice),
      flags_html: flagsHtml(invoice.flags),
    },
  };
}

const KIND_LABELS: Record<LineKind, string> = {
  energy: 'Energy',
  demand: 'Demand',
  fixed: 'Fixed charge',
  minimum: 'Minimum charge',
  fee: 'Fee',
  tax: 'Tax',
  credit: 'Credit',
  adjustment: 'Adjustment',
  common_area: 'Common area',
};

function lineRow(line: InvoiceLine, invoice: Invoice, tiered: boolean): string {
  const { currency } = invoice;
  // A small label under the description with what it does not already say: kind, TOU period, tier.
  const said = line.description.toLowerCase();
  const kind = KIND_LABELS[line.kind] ?? line.kind;
  const label: string[] = said.startsWith(kind.toLowerCase()) ? [] : [kind];
  if (line.kind === 'energy' && line.period !== undefined) {
    const name = invoice.kWhByPeriod.find((p) => p.period === line.period)?.label ?? `period ${line.period + 1}`;
    if (!said.includes(name.toLowerCase())) label.push(name);
  }
  if (tiered && line.tier !== undefined && !/\btier\b/.test(said)) label.push(`tier ${line.tier + 1}`);
  const labelHtml = label.length > 0 ? `<span class="kind">${escapeHtml(label.join(' · '))}</span>` : '';

  const [quantity, rate] = quantityAndRate(line, currency);
  const cls = `line ${line.kind}${line.amountMinor < 0 ? ' negative' : ''}`;
  return (
    `<tr class="${escapeHtml(cls)}"><td>${escapeHtml(line.description)}${labelHtml}</td>` +
    `<td class="num">${escapeHtml(quantity)}</td><td class="num">${escapeHtml(rate)}</td>` +
    `<td class="num amount">${escapeHtml(formatMoney(line.amountMinor, currency))}</td></tr>`
  );
}

/** Units of flat, once-per-invoice items: their quantity (1) and rate (= amount) say nothing. */
const FLAT_UNITS: ReadonlySet<string> = new Set(['invoice', 'credit']);

/**
 * The quantity and rate cells of a line. Percentage lines come in two orientations from the engine:
 * taxes and percent fees carry the base as quantity and the percent as rate ("on $197.28", "8.875%");
 * a common-area share carries the percent as quantity and the area's total as rate ("8.3333% share",
 * "of $82.56"). Either is used only when quantity × rate / 100 is the amount; otherwise the raw numbers show.
 */
function quantityAndRate(line: InvoiceLine, currency: string): [string, string] {
  if (FLAT_UNITS.has(line.unit) && line.quantity === 1) return ['', ''];
  if (line.unit === '%') {
    const consistent =
      Math.abs((line.quantity * line.rate) / 100 - line.amount) <= 0.005 + Math.abs(line.amount) * 1e-9;
    if (consistent && line.kind === 'common_area') {
      return [`${formatNumber(line.quantity, 4)}% share`, `of ${formatRate(line.rate, currency)}`];
    }
    if (consistent) return [`on ${formatRate(line.quantity, currency)}`, `${formatNumber(line.rate, 4)}%`];
    return [formatNumber(line.quantity, 3), `${formatNumber(line.rate, 4)}%`];
  }
  return [`${formatNumber(line.quantity, 3)} ${line.unit}`, `${formatRate(line.rate, currency)}/${line.unit}`];
}

function periodRows(invoice: Invoice): string {
  const periods = invoice.kWhByPeriod;
  if (periods.length === 0) {
    return '<tr><td colspan="3" class="muted">This plan has no time-of-use periods.</td></tr>';
  }
  const total = periods.reduce((s, p) => s + p.kWh, 0);
  return periods
    .map((p) => {
      const share = total > 0 ? (p.kWh / total) * 100 : 0;
      return (
        `<tr><td>${escapeHtml(p.label)}<span class="share"><i style="width:${share.toFixed(1)}%"></i></span></td>` +
        `<td class="num">${escapeHtml(formatNumber(p.kWh, 1, 1))}</td><td class="num">${escapeHtml(formatNumber(share, 1, 1))}%</td></tr>`
      );
    })
    .join('\n');
}

const SHORT_DATE = new Intl.DateTimeFormat(RENDER_LOCALE, { timeZone: 'UTC', month: 'short', day: 'numeric' });

function shortDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return SHORT_DATE.format(Date.UTC(y, m - 1, d));
}

/** Local dates as runs of consecutive days: `Apr 12 – Apr 14, Apr 20`. */
function dateRuns(dates: readonly string[]): string {
  const sorted = [...new Set(dates)].sort();
  const runs: string[][] = [];
  for (const d of sorted) {
    const run = runs[runs.length - 1];
    const prev = run?.[run.length - 1];
    if (run && prev && daysInclusive(prev, d) === 2) run.push(d);
    else runs.push([d]);
  }
  return runs
    .map((r) => (r.length === 1 ? shortDate(r[0]!) : `${shortDate(r[0]!)} – ${shortDate(r[r.length - 1]!)}`))
    .join(', ');
}

function flagsHtml(flags: readonly BillingFlag[]): string {
  if (flags.length === 0) {
    return '<ul class="flags"><li class="none"><b>Nothing to note</b><p>All usage on this bill was measured by the meters; nothing was estimated or corrected.</p></li></ul>';
  }
  const items = flags.map((f) => {
    const { title, meaning } = explainFlag(f);
    const detail = [f.message];
    if (f.meter && !f.message.includes(f.meter)) detail.push(`Meter ${f.meter}`);
    if (f.dates && f.dates.length > 0) detail.push(`Dates: ${dateRuns(f.dates)}`);
    return (
      `<li class="flag" data-code="${escapeHtml(f.code)}"><b>${escapeHtml(title)}</b><p>${escapeHtml(meaning)}</p>` +
      `<p class="detail">${escapeHtml(detail.join(' · '))}</p></li>`
    );
  });
  return `<ul class="flags">\n${items.join('\n')}\n</ul>`;
}

/** A round axis step near `max / 4` (1, 2, 2.5 or 5 × 10^n). */
function niceStep(max: number): number {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10) * mag;
}

/** SVG coordinates with at most 2 decimals, so the markup is short and stable. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Daily kWh as an inline SVG bar chart: one `rect.bar` per local date (`data-date`, `data-kwh`),
 * estimated days hatched in orange and marked `estimated`, a kWh axis with gridlines and the day
 * of month under each bar.
 */
export function usageChartSvg(invoice: Invoice): string {
  const days = invoice.dailyKWh;
  const W = 560;
  const H = 236;
  const left = 44;
  const right = 8;
  const top = 26;
  const bottom = 40;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const ink = '#1d2733';
  const muted = '#5b6878';
  const out: string[] = [];
  out.push(
    `<svg class="usage-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Daily energy use in kWh, one bar per day; estimated days hatched" font-family="Helvetica Neue, Helvetica, Arial, Liberation Sans, sans-serif">`,
    '<defs><pattern id="hatch-estimated" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
      '<rect width="5" height="5" fill="#fbe3cb"/><rect width="2.2" height="5" fill="#d9822b"/></pattern></defs>',
  );
  if (days.length === 0) {
    out.push(
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="${muted}">No daily usage for this period</text></svg>`,
    );
    return out.join('\n');
  }
  const max = Math.max(...days.map((d) => d.kWh), 0);
  const step = max > 0 ? niceStep(max) : 1;
  const yMax = max > 0 ? Math.ceil(max / step - 1e-9) * step : 4;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  // Legend.
  out.push(
    `<g font-size="10.5" fill="${ink}"><rect class="legend" x="${W - right - 170}" y="6" width="11" height="11" fill="#2f6db5"/>` +
      `<text x="${W - right - 154}" y="15.5">Measured</text>` +
      `<rect class="legend" x="${W - right - 90}" y="6" width="11" height="11" fill="url(#hatch-estimated)" stroke="#d9822b"/>` +
      `<text x="${W - right - 74}" y="15.5">Estimated</text></g>`,
  );
  // Gridlines and kWh labels.
  const grid: string[] = [];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    const yy = px(y(v));
    grid.push(
      `<line x1="${left}" x2="${W - right}" y1="${yy}" y2="${yy}" stroke="${v === 0 ? ink : '#e1e6ec'}" stroke-width="${v === 0 ? 1 : 0.8}"/>`,
      `<text x="${left - 6}" y="${px(y(v) + 3.5)}" text-anchor="end">${escapeHtml(formatNumber(v, 2))}</text>`,
    );
  }
  out.push(`<g class="y-axis" font-size="10" fill="${muted}">${grid.join('')}</g>`);
  out.push(
    `<text class="axis-title" x="12" y="${px(top + plotH / 2)}" font-size="10.5" fill="${muted}" text-anchor="middle" transform="rotate(-90 12 ${px(top + plotH / 2)})">kWh per day</text>`,
  );
  // Bars and day labels.
  const slot = plotW / days.length;
  const barW = Math.max(1, slot * 0.7);
  const labelEvery = days.length <= 31 ? 1 : Math.ceil(days.length / 16);
  const bars: string[] = [];
  const labels: string[] = [];
  days.forEach((d, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    const h = Math.max(0, (d.kWh / yMax) * plotH);
    const tip = `${formatDate(d.date)}: ${formatNumber(d.kWh, 2)} kWh${d.estimated ? ' (estimated)' : ''}`;
    const paint = d.estimated ? 'fill="url(#hatch-estimated)" stroke="#d9822b" stroke-width="0.8"' : 'fill="#2f6db5"';
    bars.push(
      `<rect class="bar${d.estimated ? ' estimated' : ''}" data-date="${escapeHtml(d.date)}" data-kwh="${escapeHtml(String(d.kWh))}" ` +
        `x="${px(x)}" y="${px(top + plotH - h)}" width="${px(barW)}" height="${px(h)}" ${paint}><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (i % labelEvery === 0) {
      const day = String(Number(d.date.slice(8, 10)));
      labels.push(
        `<text x="${px(left + i * slot + slot / 2)}" y="${top + plotH + 13}" text-anchor="middle"${d.estimated ? ' fill="#b5651d" font-weight="700"' : ''}>${day}</text>`,
      );
    }
  });
  out.push(`<g class="bars">${bars.join('')}</g>`);
  out.push(`<g class="x-axis" font-size="9.5" fill="${muted}">${labels.join('')}</g>`);
  out.push(
    `<text class="axis-title" x="${px(left + plotW / 2)}" y="${H - 6}" font-size="10.5" fill="${muted}" text-anchor="middle">Day of month (local date)</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
