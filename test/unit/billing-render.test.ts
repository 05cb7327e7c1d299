import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBillingFileText } from '../../functions/core/billing/billing-file';
import { buildPeriodGrid } from '../../functions/core/billing/calendar';
import { billPropertyMonth, type PricedPlan } from '../../functions/core/billing/invoice';
import { INTERVAL_MS, type Invoice, type InvoiceLine, type RegisterRead } from '../../functions/core/billing/model';
import { INVOICE_CSV_COLUMNS, invoiceId, renderInvoicesCsv } from '../../functions/core/billing/render-csv';
import { formatMoney, minorToDecimal, plainDecimal, slug } from '../../functions/core/billing/render-format';
import {
  checkInvoiceTemplate,
  DEFAULT_INVOICE_TEMPLATE,
  INVOICE_BLOCK_PLACEHOLDERS,
  INVOICE_TEXT_PLACEHOLDERS,
  renderInvoiceHtml,
} from '../../functions/core/billing/render-html';
import { invoiceToJson } from '../../functions/core/billing/render-json';
import { parseUrdbRecord } from '../../functions/core/billing/tariff';
import { meterUsage } from '../../functions/core/billing/usage';
import { ValidationError } from '../../functions/core/errors';
import { invoiceSample, sampleInvoice } from '../fixtures/billing/invoice-sample';

const ROOT = join(__dirname, '..', '..');

const line = (over: Partial<InvoiceLine>): InvoiceLine => ({
  kind: 'fee',
  description: 'Fee',
  quantity: 1,
  unit: 'month',
  rate: 1,
  amount: 1,
  amountMinor: 100,
  ...over,
});

/** A small RFC 4180 reader, to check the CSV reads back to the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('invoiceId', () => {
  it.each<[string, Partial<Invoice>, string]>([
    ['the sample', {}, 'elm-street-2026-04-unit-4b'],
    ['a mid-month move-in', { period: { start: '2026-03-15', end: '2026-03-31' } }, 'elm-street-2026-03-unit-4b'],
    [
      'accents and symbols',
      { property: 'Café Überseeallee #7', tenant: 'Wohnung 3/Ost' },
      'cafe-uberseeallee-7-2026-04-wohnung-3-ost',
    ],
    ['a tenant id of symbols only', { tenant: '★' }, `elm-street-2026-04-x${slug('★').slice(1)}`],
  ])('names %s', (_name, over, expected) => {
    // Act
    const id = invoiceId(sampleInvoice(over));

    // Assess
    expect(id).toBe(expected);
    expect(id).toMatch(/^[a-z0-9-]+$/);
  });

  it('fails when period.start is not a local date', () => {
    expect(() => invoiceId(sampleInvoice({ period: { start: '2026-02-30', end: '2026-03-01' } }))).toThrow(
      /period\.start: expected a local date YYYY-MM-DD, got "2026-02-30"/,
    );
  });
});

describe('money from minor units', () => {
  it.each<[number, string, string, string]>([
    [1230, 'USD', '$12.30', '12.30'],
    [-1000, 'USD', '-$10.00', '-10.00'],
    [-5, 'USD', '-$0.05', '-0.05'],
    [0, 'USD', '$0.00', '0.00'],
    [1235, 'JPY', '¥1,235', '1235'],
    [-1235, 'JPY', '-¥1,235', '-1235'],
    [1234567, 'KWD', 'KWD\u00a01,234.567', '1234.567'],
    [123456, 'EUR', '€1,234.56', '1234.56'],
    [Number.MAX_SAFE_INTEGER, 'USD', '$90,071,992,547,409.91', '90071992547409.91'],
    // The engine's digits (money.ts), not CLDR's: CLDR gives HUF and IQD 0 digits.
    [123456, 'HUF', 'HUF\u00a01,234.56', '1234.56'],
    [1234567, 'IQD', 'IQD\u00a01,234.567', '1234.567'],
  ])('formats %d %s as %s and %s', (minor, currency, money, decimal) => {
    // Act + Assess
    expect(formatMoney(minor, currency)).toBe(money);
    expect(minorToDecimal(minor, currency)).toBe(decimal);
  });

  it.each([[12.5], [Number.NaN], [2 ** 60]])('fails when the amount %d is not a safe integer', (minor) => {
    expect(() => formatMoney(minor, 'USD')).toThrow(/expected an integer amount in minor units/);
  });

  it('fails when the currency is not a currency code', () => {
    expect(() => formatMoney(100, 'dollars')).toThrow(/currency: "dollars" is not an ISO 4217 code; write e.g. USD/);
  });

  it.each<[number, number, string]>([
    [0.1 + 0.2, 6, '0.3'],
    [182.4, 3, '182.4'],
    [-0.0000001, 3, '0'],
    [1e21, 0, '1000000000000000000000'],
    [12.5, 3, '12.5'],
  ])('writes %d as the plain decimal %s', (value, digits, expected) => {
    expect(plainDecimal(value, digits)).toBe(expected);
  });
});

describe('renderInvoiceHtml', () => {
  it('keeps the default template identical to templates/invoice.html (run scripts/sync-invoice-template.cjs)', () => {
    expect(DEFAULT_INVOICE_TEMPLATE).toBe(readFileSync(join(ROOT, 'templates', 'invoice.html'), 'utf8'));
  });

  it('uses every block and all text values but the spare ones in the default template', () => {
    // Spare: offered for user templates, not needed on the default page.
    const spare = new Set(['tax_total', 'period_start', 'period_end', 'property_id', 'plan_id', 'tenant']);
    const body = DEFAULT_INVOICE_TEMPLATE.replace(/\{\{!--[\s\S]*?--\}\}/, '');
    for (const name of INVOICE_TEXT_PLACEHOLDERS) {
      expect([name, body.includes(`{{${name}}}`)]).toEqual([name, !spare.has(name)]);
    }
    for (const name of INVOICE_BLOCK_PLACEHOLDERS) expect(body).toContain(`{{{${name}}}}`);
  });

  it('renders tenant, property, period, meters, plan, every line, subtotal, taxes and total', () => {
    // Act
    const html = renderInvoiceHtml(invoiceSample);

    // Assess
    for (const text of [
      'Elm Street Lofts',
      'Ana María Ortega',
      'unit-4b',
      'Apr 1, 2026 – Apr 30, 2026',
      '000350000900, 000350000901',
      'Residential time-of-use <span class="nowrap">(from 2026-01-01)</span>',
      'America/New_York',
      '481.1 kWh',
      '6.80 kW',
      '182.4 kWh</td><td class="num">$0.3124/kWh</td><td class="num amount">$56.98</td>',
      '6.8 kW</td><td class="num">$12.50/kW</td><td class="num amount">$85.00</td>',
      'Move-in courtesy credit<span class="kind">Credit</span></td><td class="num"></td><td class="num"></td><td class="num amount">-$10.00</td>',
      '8.3333% share</td><td class="num">of $82.56</td><td class="num amount">$6.88</td>',
      'on $197.28</td><td class="num">8.875%</td><td class="num amount">$17.51</td>',
      '<td class="num">$197.28</td>',
      '<td class="num" id="total">$214.79</td>',
      '12 Elm Street, Brooklyn, NY 11201',
      '<td>Energy, off-peak</td><td class="num">298.7 kWh</td>',
    ]) {
      expect(html).toContain(text);
    }
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html).not.toContain('{{');
  });

  it('draws one bar per local date and marks the estimated ones', () => {
    // Act
    const html = renderInvoiceHtml(invoiceSample);

    // Assess
    expect(count(html, '<rect class="bar')).toBe(30);
    expect(count(html, '<rect class="bar estimated"')).toBe(2);
    expect(html).toContain('data-date="2026-04-12"');
    expect(html).toContain('<title>Apr 12, 2026: 18.7 kWh (estimated)</title>');
    expect(html).toContain('kWh per day');
  });

  // The label under a description says only what the description does not (undefined: no label).
  it.each<[string, Partial<InvoiceLine>, string | undefined]>([
    ['its kind', { kind: 'common_area', description: 'Hallway lights' }, 'Common area'],
    ['its TOU period', { kind: 'energy', description: 'Energy', period: 1 }, 'On-peak'],
    ['kind and TOU period', { kind: 'energy', description: 'Usage', period: 0 }, 'Energy · Off-peak'],
    [
      'nothing the description says',
      { kind: 'energy', description: 'Energy, On-peak (period 2)', period: 1 },
      undefined,
    ],
    ['its tier on a tiered invoice', { kind: 'demand', description: 'Demand', tier: 1 }, 'tier 2'],
    ['no tier the description names', { kind: 'demand', description: 'Demand, tier 2', tier: 1 }, undefined],
  ])('labels a line with %s', (_name, over, label) => {
    // Act
    const html = renderInvoiceHtml(sampleInvoice({ lines: [line(over)] }));

    // Assess
    const row = /<tr class="line [^"]*">.*?<\/tr>/.exec(html)?.[0] ?? '';
    if (label === undefined) expect(row).not.toContain('<span class="kind">');
    else expect(row).toContain(`<span class="kind">${label}</span>`);
  });

  it.each<[string, Partial<InvoiceLine>, string, string]>([
    [
      'a tax as percent of its base',
      { kind: 'tax', quantity: 126.56, unit: '%', rate: 6.25, amount: 7.91 },
      'on $126.56',
      '6.25%',
    ],
    [
      'a percent fee as percent of its base',
      { quantity: 127.73, unit: '%', rate: 3, amount: 3.8319 },
      'on $127.73',
      '3%',
    ],
    [
      'a common-area share as share of the area total',
      { kind: 'common_area', quantity: 200 / 3, unit: '%', rate: 50.46, amount: 33.64 },
      '66.6667% share',
      'of $50.46',
    ],
    ['a percent line that does not add up as raw numbers', { unit: '%', quantity: 2, rate: 5, amount: 9 }, '2', '5%'],
    [
      'a flat fee per invoice without quantity and rate',
      { unit: 'invoice', quantity: 1, rate: 2.5, amount: 2.5 },
      '',
      '',
    ],
    [
      'a credit without quantity and rate',
      { kind: 'credit', unit: 'credit', quantity: 1, rate: -5, amount: -5 },
      '',
      '',
    ],
    [
      'a prorated month',
      { kind: 'fixed', unit: 'month', quantity: 15 / 30, rate: 10, amount: 5 },
      '0.5 month',
      '$10.00/month',
    ],
    [
      'a tiny rate to six decimals',
      { unit: 'kWh', quantity: 1234.5678, rate: 0.0123456, amount: 15.24 },
      '1,234.568 kWh',
      '$0.012346/kWh',
    ],
  ])('shows quantity and rate of %s', (_name, over, quantity, rate) => {
    // Act
    const html = renderInvoiceHtml(sampleInvoice({ lines: [line(over)] }));

    // Assess
    expect(html).toContain(`</td><td class="num">${quantity}</td><td class="num">${rate}</td><td class="num amount">`);
  });

  it.each<[string, Partial<Invoice>, string[]]>([
    ['no daily usage', { dailyKWh: [] }, ['No daily usage for this period</text></svg>']],
    [
      'a month of zero usage on a 0-4 kWh axis',
      { dailyKWh: [{ date: '2026-04-01', kWh: 0, estimated: false }] },
      ['height="0"', 'text-anchor="end">4</text>'],
    ],
    [
      'a plan without time-of-use periods',
      { kWhByPeriod: [] },
      ['<tr><td colspan="3" class="muted">This plan has no time-of-use periods.</td></tr>'],
    ],
  ])('renders %s', (_name, over, expected) => {
    // Act
    const html = renderInvoiceHtml(sampleInvoice(over));

    // Assess
    for (const text of expected) expect(html).toContain(text);
  });

  it('labels every third day of a period longer than a month', () => {
    // Prepare
    const dailyKWh = Array.from({ length: 45 }, (_, i) => ({
      date: new Date(Date.UTC(2026, 3, 1 + i)).toISOString().slice(0, 10),
      kWh: i,
      estimated: false,
    }));

    // Act
    const html = renderInvoiceHtml(sampleInvoice({ dailyKWh }));

    // Assess
    expect(count(html, '<rect class="bar')).toBe(45);
    const axis = /<g class="x-axis"[^>]*>(.*?)<\/g>/.exec(html)?.[1] ?? '';
    expect([...axis.matchAll(/>(\d+)<\/text>/g)].map((m) => m[1])).toEqual([
      '1',
      '4',
      '7',
      '10',
      '13',
      '16',
      '19',
      '22',
      '25',
      '28',
      '1',
      '4',
      '7',
      '10',
      '13',
    ]);
  });

  it('explains each flag in words with its detail', () => {
    // Act
    const html = renderInvoiceHtml(invoiceSample);

    // Assess
    expect(html).toContain('<li class="flag" data-code="ESTIMATED_USAGE"><b>Estimated usage</b>');
    expect(html).toContain('meter 000350000901 was offline · Dates: Apr 12 – Apr 13');
    expect(html).toContain('counted as 0 kWh · Meter 000350000900 · Dates: Apr 21');
    expect(html).toContain('<b>Meter reading went backwards</b>');
    expect(renderInvoiceHtml(sampleInvoice({ flags: [] }))).toContain('<b>Nothing to note</b>');
  });

  it('renders user text as text: a script in a name, property, line or flag never becomes markup', () => {
    // Prepare
    const evil = '<script>alert("x")</script>&\'';
    const invoice = sampleInvoice({
      tenantName: evil,
      property: `${evil} Lofts`,
      lines: [line({ description: evil, unit: evil })],
      flags: [{ code: 'PRORATED', message: evil }],
      kWhByPeriod: [{ period: 0, label: evil, kWh: 1 }],
      timezone: evil,
    });

    // Act
    const html = renderInvoiceHtml(invoice);

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('is self-contained: no scripts, no links, no external resources', () => {
    // Act
    const html = renderInvoiceHtml(invoiceSample);

    // Assess
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:/);
  });

  it('gives identical bytes for identical input', () => {
    // Act
    const a = renderInvoiceHtml(invoiceSample);
    const b = renderInvoiceHtml(structuredClone(invoiceSample));

    // Assess
    expect(b).toBe(a);
  });

  it('calls a negative total a credit balance', () => {
    // Act
    const html = renderInvoiceHtml(sampleInvoice({ lines: [line({ kind: 'credit', amountMinor: -2500 })] }));

    // Assess
    expect(html).toContain('<h3>Credit balance</h3>');
    expect(html).toContain('<td colspan="3">Credit balance (USD)</td><td class="num" id="total">-$25.00</td>');
    expect(renderInvoiceHtml(invoiceSample)).toContain('<td colspan="3">Amount due (USD)</td>');
  });

  it('formats a JPY invoice with no minor digits and a negative credit', () => {
    // Prepare
    const invoice = sampleInvoice({
      currency: 'JPY',
      lines: [
        line({ kind: 'energy', description: '電力量料金', quantity: 300, unit: 'kWh', rate: 31.5, amountMinor: 9450 }),
        line({ kind: 'credit', description: '再エネ割引', rate: -500, amountMinor: -500 }),
      ],
    });

    // Act
    const html = renderInvoiceHtml(invoice);

    // Assess
    expect(html).toContain('<td class="num">¥31.5/kWh</td><td class="num amount">¥9,450</td>');
    expect(html).toContain('<td class="num amount">-¥500</td>');
    expect(html).toContain('id="total">¥8,950</td>');
  });

  it('fills a user template: text escaped, blocks as built, comments removed, spaces in braces allowed', () => {
    // Prepare
    const template = '{{!-- my template --}}\n<h1>{{ tenant }}</h1><p>{{total}}</p><table>{{{ tax_rows }}}</table>';

    // Act
    const html = renderInvoiceHtml(sampleInvoice({ tenantName: 'A & B' }), template);

    // Assess
    expect(html).toBe(
      '<h1>A &amp; B (unit-4b)</h1><p>$214.79</p><table><tr class="line tax"><td>NYC sales tax on electricity<span class="kind">Tax</span></td>' +
        '<td class="num">on $197.28</td><td class="num">8.875%</td><td class="num amount">$17.51</td></tr></table>',
    );
  });

  it.each([
    [
      '<p>\n{{tenant_nmae}}</p>',
      /template: unknown placeholder \{\{tenant_nmae\}\} on line 2; text values are title, invoice_id/,
    ],
    ['{{{chart}}}', /template: unknown placeholder \{\{\{chart\}\}\} on line 1; blocks are lines_rows/],
    [
      '{{{tenant_name}}}',
      /\{\{\{tenant_name\}\}\} is a text value on line 1; write \{\{tenant_name\}\} so it is HTML-escaped/,
    ],
    ['{{lines_rows}}', /\{\{lines_rows\}\} is an HTML block on line 1; write \{\{\{lines_rows\}\}\}/],
    ['{{Total Due}}', /malformed placeholder "\{\{Total Due\}\}"/],
  ])('fails when a user template has a bad placeholder: %s', (template, message) => {
    // Act
    const act = () => renderInvoiceHtml(invoiceSample, template);

    // Assess
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(message);
    expect(() => checkInvoiceTemplate(template)).toThrow(message);
  });

  it('fails when the total is not the sum of the lines', () => {
    expect(() => renderInvoiceHtml(sampleInvoice({ totalMinor: 21480 }))).toThrow(
      /totalMinor: invoice elm-street\/unit-4b: total 21480 is not the sum of its lines \(21479\)/,
    );
  });
});

describe('renderInvoicesCsv', () => {
  it('writes a header and one CRLF row per line, amounts from minor units', () => {
    // Act
    const csv = renderInvoicesCsv([invoiceSample]);

    // Assess
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('invoice,property,tenant,period_start,period_end,kind,description,quantity,unit,rate,amount');
    expect(rows[1]).toBe(
      'elm-street-2026-04-unit-4b,elm-street,unit-4b,2026-04-01,2026-04-30,energy,Energy, on-peak (weekdays 2 pm – 8 pm),182.4,kWh,0.3124,56.98'.replace(
        'Energy, on-peak (weekdays 2 pm – 8 pm)',
        '"Energy, on-peak (weekdays 2 pm – 8 pm)"',
      ),
    );
    expect(rows[6]).toBe(
      'elm-street-2026-04-unit-4b,elm-street,unit-4b,2026-04-01,2026-04-30,credit,Move-in courtesy credit,1,credit,-10,-10.00',
    );
    expect(rows[7]).toBe(
      'elm-street-2026-04-unit-4b,elm-street,unit-4b,2026-04-01,2026-04-30,tax,NYC sales tax on electricity,197.28,%,8.875,17.51',
    );
    expect(rows).toHaveLength(invoiceSample.lines.length + 2);
    expect(rows[rows.length - 1]).toBe('');
  });

  it('quotes per RFC 4180 and reads back to the same cells', () => {
    // Prepare
    const description = 'Fee, "late"\r\nsecond line';
    const invoice = sampleInvoice({ lines: [line({ description })] });

    // Act
    const csv = renderInvoicesCsv([invoice]);

    // Assess
    expect(csv).toContain(',"Fee, ""late""\r\nsecond line",');
    const cells = parseCsv(csv);
    expect(cells[0]).toEqual([...INVOICE_CSV_COLUMNS]);
    expect(cells[1]?.[6]).toBe(description);
    expect(cells[1]?.[10]).toBe('1.00');
  });

  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1 555', "'+1 555"],
    ['-5% loyalty', "'-5% loyalty"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTab', "'\tTab"],
    ['Plain text', 'Plain text'],
  ])('makes formula-looking text %j inert', (text, cell) => {
    // Act
    const csv = renderInvoicesCsv([sampleInvoice({ tenant: text, lines: [line({ description: text })] })]);

    // Assess
    const row = csv.split('\r\n')[1] ?? '';
    expect(row).toContain(`,${cell},2026-04-01,`);
    expect(row).toContain(`,fee,${cell},`);
  });

  it('keeps numeric cells numeric: negative amounts and rates are not prefixed', () => {
    // Act
    const csv = renderInvoicesCsv([
      sampleInvoice({ lines: [line({ quantity: 0.1 + 0.2, rate: -0.1 - 0.2, amountMinor: -1 })] }),
    ]);

    // Assess
    expect(csv.split('\r\n')[1]).toMatch(/,fee,Fee,0\.3,month,-0\.3,-0\.01$/);
  });

  it('writes JPY amounts without decimals and KWD with three', () => {
    // Act
    const csv = renderInvoicesCsv([
      sampleInvoice({ currency: 'JPY', lines: [line({ amountMinor: -1235 })] }),
      sampleInvoice({ currency: 'KWD', tenant: 'b', lines: [line({ amountMinor: 1005 })] }),
    ]);

    // Assess
    const rows = csv.split('\r\n');
    expect(rows[1]).toMatch(/,-1235$/);
    expect(rows[2]).toMatch(/,1\.005$/);
  });

  it('gives identical bytes for identical input and only a header for no invoices', () => {
    expect(renderInvoicesCsv([invoiceSample, sampleInvoice({ tenant: 'unit-5a' })])).toBe(
      renderInvoicesCsv([structuredClone(invoiceSample), sampleInvoice({ tenant: 'unit-5a' })]),
    );
    expect(renderInvoicesCsv([])).toBe(`${INVOICE_CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('invoiceToJson', () => {
  it('starts with the contract fields, snake_case, money in minor units', () => {
    // Act
    const json = invoiceToJson(invoiceSample);

    // Assess
    expect(Object.keys(json).slice(0, 8)).toEqual([
      'property',
      'tenant',
      'period',
      'currency',
      'kwh',
      'total_minor',
      'lines',
      'flags',
    ]);
    expect(json).toMatchObject({
      property: 'elm-street',
      tenant: 'unit-4b',
      period: { start: '2026-04-01', end: '2026-04-30' },
      currency: 'USD',
      kwh: 481.1,
      total_minor: 21479,
      invoice: 'elm-street-2026-04-unit-4b',
      property_name: 'Elm Street Lofts',
      property_address: '12 Elm Street, Brooklyn, NY 11201',
      tenant_name: 'Ana María Ortega',
      timezone: 'America/New_York',
      peak_kw: 6.8,
      plan: { id: 'coned-el1-tou', version_from: '2026-01-01', name: 'Residential time-of-use' },
      meters: ['000350000900', '000350000901'],
      kwh_by_period: [
        { period: 0, label: 'Off-peak', kwh: 298.7 },
        { period: 1, label: 'On-peak', kwh: 182.4 },
      ],
    });
    expect(json.lines[0]).toEqual({
      kind: 'energy',
      description: 'Energy, on-peak (weekdays 2 pm – 8 pm)',
      quantity: 182.4,
      unit: 'kWh',
      rate: 0.3124,
      amount_minor: 5698,
      amount: 56.98176,
      period: 1,
      tier: 0,
    });
    expect(Object.keys(json.lines[3] ?? {})).toEqual([
      'kind',
      'description',
      'quantity',
      'unit',
      'rate',
      'amount_minor',
      'amount',
    ]);
    expect(json.flags[0]).toEqual({
      code: 'ESTIMATED_USAGE',
      message: '192 of 2,880 intervals estimated: meter 000350000901 was offline',
      meter: '000350000901',
      dates: ['2026-04-12', '2026-04-13'],
    });
    expect(json.daily_kwh).toHaveLength(30);
    expect(json.daily_kwh[11]).toEqual({ date: '2026-04-12', kwh: 18.7, estimated: true });
  });

  it('cleans float artefacts from quantities and rates', () => {
    // Act
    const json = invoiceToJson(
      sampleInvoice({ kWh: 0.1 + 0.2, lines: [line({ quantity: 0.1 + 0.2, rate: 1.1 * 3, amount: -0 })] }),
    );

    // Assess
    expect(JSON.stringify(json.lines[0])).toBe(
      '{"kind":"fee","description":"Fee","quantity":0.3,"unit":"month","rate":3.3,"amount_minor":100,"amount":0}',
    );
    expect(json.kwh).toBe(0.3);
  });

  it('gives identical JSON for identical input', () => {
    expect(JSON.stringify(invoiceToJson(structuredClone(invoiceSample)))).toBe(
      JSON.stringify(invoiceToJson(invoiceSample)),
    );
  });
});

describe('rendering an invoice assembled by the engine', () => {
  /** One property month through billPropertyMonth: energy, fixed, common area, fees, credit, tax. */
  function engineInvoice(): Invoice {
    const flat = Array.from({ length: 12 }, () => Array(24).fill(0) as number[]);
    const tariff = parseUrdbRecord(
      {
        name: 'Flat',
        energyratestructure: [[{ rate: 0.2, unit: 'kWh' }]],
        energyweekdayschedule: flat,
        energyweekendschedule: flat,
        fixedchargefirstmeter: 10,
        fixedchargeunits: '$/month',
      },
      'flat.json',
    );
    const billing = parseBillingFileText(
      `
version: 1
currency: USD
properties:
  - id: elm
    name: "Elm <Street>"
    timezone: UTC
    taxes: [{ name: Sales tax, percent: 6.25 }]
    fees: [{ name: Admin fee, amount: 2.5 }, { name: Service, percent: 3 }]
    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]
    tenants:
      - { id: a, name: "<script>x</script>", meters: ["1"], plan: flat, area: 1, credits: [{ month: 2026-04, description: Goodwill, amount: 5 }] }
      - { id: b, meters: ["2"], plan: flat, area: 2 }
    commonAreas:
      - { id: hall, meters: ["9"], split: { by: area } }
`,
      'billing.yaml',
    );
    const property = billing.properties[0]!;
    const grid = buildPeriodGrid('UTC', '2026-04-01', '2026-04-30');
    const reads = (kW: number): RegisterRead[] => {
      const out: RegisterRead[] = [];
      for (let t = Date.UTC(2026, 2, 31), r = 0; t <= Date.UTC(2026, 4, 2); t += INTERVAL_MS, r += kW / 4)
        out.push({ timeMs: t, kWhTot: r });
      return out;
    };
    const meters = new Map(
      [
        ['000000000001', 1],
        ['000000000002', 2],
        ['000000000009', 0.5],
      ].map(([m, kW]) => [m as string, meterUsage(grid, { meter: m as string, reads: reads(kW as number) })]),
    );
    const plans = new Map<string, PricedPlan>([['flat', { tariff, version: property.plans[0]!.versions[0]! }]]);
    return billPropertyMonth({ billing, property, month: '2026-04', grid, plans, meters }).invoices[0]!;
  }

  it('shows every line, the total and the escaped names in HTML, CSV and JSON', () => {
    // Prepare
    const invoice = engineInvoice();

    // Act
    const html = renderInvoiceHtml(invoice);
    const csv = parseCsv(renderInvoicesCsv([invoice]));
    const json = invoiceToJson(invoice);

    // Assess
    expect(invoice.lines.map((l) => l.kind)).toEqual(['energy', 'fixed', 'common_area', 'fee', 'fee', 'credit', 'tax']);
    for (const l of invoice.lines)
      expect(html).toContain(`<td class="num amount">${formatMoney(l.amountMinor, 'USD')}</td>`);
    expect(html).toContain(`id="total">${formatMoney(invoice.totalMinor, 'USD')}</td>`);
    expect(html).toContain('<h1>Elm &lt;Street&gt;</h1>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('% share</td><td class="num">of $');
    const csvCents = csv.slice(1).map((row) => Math.round(Number(row[10]) * 100));
    expect(csvCents.reduce((a, b) => a + b, 0)).toBe(invoice.totalMinor);
    expect(json.total_minor).toBe(invoice.totalMinor);
    expect(json.property_name).toBe('Elm <Street>');
  });
});
