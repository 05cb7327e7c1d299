import { parseNativeRates, parseUrdbRecord, type Tariff } from '../../functions/core/billing/tariff';
import { renderTariffTable } from '../../functions/core/billing/tariff-table';
import { ValidationError } from '../../functions/core/errors';

const flat = (p: number) => Array.from({ length: 12 }, () => Array.from({ length: 24 }, () => p));

/** A minimal valid URDB record: one period at 0.1 $/kWh, plus `extra` fields. */
function urdb(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    label: '5a1b',
    name: 'Residential',
    utility: 'Some Utility',
    energyratestructure: [[{ rate: 0.1, unit: 'kWh' }]],
    energyweekdayschedule: flat(0),
    energyweekendschedule: flat(0),
    ...extra,
  };
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('parseUrdbRecord', () => {
  it('prices rate + adj, with URDB tier units and cumulative maxima', () => {
    // Prepare
    const record = urdb({
      energyratestructure: [
        [
          { max: 500, rate: 0.1, adj: 0.02, unit: 'kWh' },
          { max: 20, rate: 0.15, unit: 'kWh daily' },
          { rate: 0.2, adj: -0.01 },
        ],
        [{ rate: 0.3, sell: 0.04 }],
      ],
      energyweekdayschedule: flat(1),
    });
    // Act
    const tariff = parseUrdbRecord(record, 'r.json');
    // Assess
    const periods = tariff.energy?.periods ?? [];
    expect(periods[0]?.tiers).toEqual([
      { max: 500, unit: 'kWh', price: 0.12 },
      { max: 20, unit: 'kWh daily', price: 0.15 },
      { max: Number.POSITIVE_INFINITY, unit: 'kWh', price: 0.19 },
    ]);
    expect(periods[1]?.sell).toBe(0.04);
    expect(periods.map((p) => p.label)).toEqual(['Period 1', 'Period 2']);
    expect(tariff.energy?.schedule.weekday[6]?.[14]).toBe(1);
    expect(tariff.currency).toBe('USD');
    expect(tariff.name).toBe('Residential');
  });

  it.each<[string, Record<string, unknown>, Partial<Tariff>]>([
    [
      'fixed $/month',
      { fixedchargefirstmeter: 12, fixedchargeunits: '$/month' },
      { fixed: [{ amount: 12, per: 'month' }] },
    ],
    [
      'fixed $/day',
      { fixedchargefirstmeter: 0.4, fixedchargeunits: '$/day' },
      { fixed: [{ amount: 0.4, per: 'day' }] },
    ],
    [
      'fixed $/year',
      { fixedchargefirstmeter: 120, fixedchargeunits: '$/year' },
      { fixed: [{ amount: 120, per: 'year' }] },
    ],
    ['legacy fixedmonthlycharge', { fixedmonthlycharge: 9 }, { fixed: [{ amount: 9, per: 'month' }] }],
    [
      'fixed with an equal legacy copy',
      { fixedchargefirstmeter: 9, fixedmonthlycharge: 9 },
      { fixed: [{ amount: 9, per: 'month' }] },
    ],
    ['minimum $/month', { mincharge: 10, minchargeunits: '$/month' }, { minimum: [{ amount: 10, per: 'month' }] }],
    ['minimum $/day', { mincharge: 0.5, minchargeunits: '$/day' }, { minimum: [{ amount: 0.5, per: 'day' }] }],
    ['minimum $/year', { mincharge: 60, minchargeunits: '$/year' }, { minimum: [{ amount: 60, per: 'year' }] }],
    ['legacy minmonthlycharge', { minmonthlycharge: 7 }, { minimum: [{ amount: 7, per: 'month' }] }],
    ['annualmincharge', { annualmincharge: 240 }, { minimum: [{ amount: 240, per: 'year' }] }],
    ['demand window', { demandwindow: 30 }, { demandWindowMinutes: 30 }],
    ['net metering flag', { usenetmetering: true }, { exports: 'net-metering' }],
    ['dgrules Net Metering', { dgrules: 'Net Metering' }, { exports: 'net-metering' }],
    ['dgrules Net Billing Instantaneous', { dgrules: 'Net Billing Instantaneous' }, { exports: 'net-billing' }],
    ['kW demand units', { demandunits: 'kW', flatdemandunit: 'kW' }, { fixed: [] }],
    [
      'zero coincident and fuel fields',
      { coincidentratestructure: [], fueladjustmentsmonthly: Array(12).fill(0) },
      { fixed: [] },
    ],
  ])('reads %s', (_what, extra, expected) => {
    // Act
    const tariff = parseUrdbRecord(urdb(extra), 'r.json');
    // Assess
    expect(tariff).toMatchObject(expected);
  });

  it('reads TOU demand, flat demand and ratchets', () => {
    // Prepare
    const record = urdb({
      demandratestructure: [
        [{ rate: 5 }],
        [
          { max: 10, rate: 8 },
          { rate: 12, adj: 1 },
        ],
      ],
      demandweekdayschedule: flat(1),
      demandweekendschedule: flat(0),
      flatdemandstructure: [[{ rate: 3 }], [{ rate: 4 }]],
      flatdemandmonths: [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0],
      demandratchetpercentage: [0, 0, 0, 0, 0, 0.8, 0.8, 0.8, 0.8, 0, 0, 0],
      lookbackpercent: 0.5,
      lookbackrange: 6,
    });
    // Act
    const tariff = parseUrdbRecord(record, 'r.json');
    // Assess
    expect(tariff.touDemand?.periods[1]?.tiers).toEqual([
      { max: 10, price: 8 },
      { max: Number.POSITIVE_INFINITY, price: 13 },
    ]);
    expect(tariff.flatDemand?.months[6]).toBe(1);
    expect(tariff.ratchet?.fractionByMonth).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.8, 0.8, 0.8, 0.8, 0.5, 0.5, 0.5]);
    expect(tariff.ratchet?.lookback).toEqual({ kind: 'range', months: 6 });
  });

  it('reads lookback months as calendar months', () => {
    // Prepare
    const months = [false, false, false, false, false, true, true, true, true, false, false, false];
    // Act
    const tariff = parseUrdbRecord(
      urdb({
        flatdemandstructure: [[{ rate: 3 }]],
        flatdemandmonths: Array(12).fill(0),
        lookbackpercent: 0.6,
        lookbackmonths: months,
      }),
      'r.json',
    );
    // Assess
    expect(tariff.ratchet?.lookback).toEqual({ kind: 'months', include: months });
  });

  it('merges the override field by field before validation, null removing a field', () => {
    // Prepare: the record has a broken rate and a description-only minimum.
    const record = urdb({ energyratestructure: [[{ rate: 'n/a' }]], coincidentratestructure: [[{ rate: 2 }]] });
    // Act
    const tariff = parseUrdbRecord(record, 'r.json', {
      energyratestructure: [[{ rate: 0.2 }]],
      coincidentratestructure: null,
      mincharge: 5,
      minchargeunits: '$/month',
    });
    // Assess
    expect(tariff.energy?.periods[0]?.tiers[0]?.price).toBe(0.2);
    expect(tariff.minimum).toEqual([{ amount: 5, per: 'month' }]);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'a non-numeric rate',
      { energyratestructure: [[{ rate: 'x' }]] },
      'r.json: /energyratestructure/0/0/rate',
      /expected a number/,
    ],
    [
      'an unknown tier field',
      { energyratestructure: [[{ rate: 1, price: 2 }]] },
      'r.json: /energyratestructure/0/0/price',
      /unknown field/,
    ],
    [
      'an unknown unit',
      { energyratestructure: [[{ rate: 1, unit: 'MWh' }]] },
      'r.json: /energyratestructure/0/0/unit',
      /unknown unit/,
    ],
    [
      'tiers that do not increase',
      { energyratestructure: [[{ max: 100, rate: 1 }, { max: 50, rate: 1 }, { rate: 1 }]] },
      'r.json: /energyratestructure/0/1/max',
      /must increase/,
    ],
    [
      'a missing max',
      { energyratestructure: [[{ rate: 1 }, { rate: 2 }]] },
      'r.json: /energyratestructure/0/0/max',
      /upper bound/,
    ],
    ['an unknown field', { energyratestructure2: 1 }, 'r.json: /energyratestructure2', /unknown URDB field/],
    [
      'a coincident demand charge',
      { coincidentratestructure: [[{ rate: 2 }]] },
      'r.json: /coincidentratestructure',
      /not priced/,
    ],
    [
      'fuel adjustments',
      { fueladjustmentsmonthly: [0.01, ...Array(11).fill(0)] },
      'r.json: /fueladjustmentsmonthly',
      /not priced/,
    ],
    ['additional-meter charges', { fixedchargeeaaddl: 3 }, 'r.json: /fixedchargeeaaddl', /not priced/],
    ['hp demand', { demandunits: 'hp' }, 'r.json: /demandunits', /only kW/],
    [
      'an unknown fixed unit',
      { fixedchargefirstmeter: 1, fixedchargeunits: '$/week' },
      'r.json: /fixedchargeunits',
      /\$\/month/,
    ],
    ['an unknown minimum unit', { mincharge: 1, minchargeunits: '$/kWh' }, 'r.json: /minchargeunits', /\$\/month/],
    [
      'conflicting fixed charges',
      { fixedchargefirstmeter: 10, fixedmonthlycharge: 9 },
      'r.json: /fixedmonthlycharge',
      /conflicts/,
    ],
    ['conflicting minimums', { mincharge: 10, minmonthlycharge: 9 }, 'r.json: /minmonthlycharge', /conflicts/],
    ['dgrules it cannot price', { dgrules: 'Net Billing Hourly' }, 'r.json: /dgrules', /not priced/],
    [
      'net metering contradicting dgrules',
      { dgrules: 'Net Metering', usenetmetering: false },
      'r.json: /usenetmetering',
      /contradicts/,
    ],
    ['an off-grid demand window', { demandwindow: 20 }, 'r.json: /demandwindow', /multiple/],
    [
      'a ratchet without flat demand',
      { demandratchetpercentage: Array(12).fill(0.8) },
      'r.json: /demandratchetpercentage',
      /flatdemandstructure/,
    ],
    [
      'a ratchet written as a percent',
      { flatdemandstructure: [[{ rate: 1 }]], flatdemandmonths: Array(12).fill(0), lookbackpercent: 80 },
      'r.json: /lookbackpercent',
      /fraction/,
    ],
    [
      'a short schedule',
      { energyweekendschedule: flat(0).slice(0, 11) },
      'r.json: /energyweekendschedule',
      /12 entries/,
    ],
    ['a schedule without its structure', { energyratestructure: undefined }, 'r.json: /energyratestructure', /missing/],
    [
      'a schedule index beyond the periods',
      { energyweekdayschedule: flat(0).map((row, m) => (m === 6 ? row.map((p, h) => (h === 14 ? 3 : p)) : row)) },
      'r.json: /energyweekdayschedule/6/14',
      /month 7 \(July\), hour 14 uses period 3/,
    ],
    [
      'a schedule index whose period has no rate',
      { energyratestructure: [[{ rate: 0.1 }], [{ adj: 0.01 }]], energyweekendschedule: flat(1) },
      'r.json: /energyweekendschedule/0/0',
      /month 1 \(January\), hour 0 uses period 1, which has no rate \(\/energyratestructure\/1\/0\/rate\)/,
    ],
    [
      'tiered export credit',
      {
        energyratestructure: [
          [
            { max: 5, rate: 0.1, sell: 0.02 },
            { rate: 0.2, sell: 0.03 },
          ],
        ],
      },
      'r.json: /energyratestructure/0/1/sell',
      /same sell/,
    ],
    [
      'a flat demand month without a period',
      { flatdemandstructure: [[{ rate: 1 }]], flatdemandmonths: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] },
      'r.json: /flatdemandmonths/11',
      /December/,
    ],
  ])('fails on %s, naming the field', (_what, extra, field, message) => {
    // Act
    const error = errorOf(() => parseUrdbRecord(urdb(extra), 'r.json'));
    // Assess
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('accepts a period without a rate that no schedule uses', () => {
    // Act
    const tariff = parseUrdbRecord(urdb({ energyratestructure: [[{ rate: 0.1 }], [{ max: 5 }]] }), 'r.json');
    // Assess
    expect(tariff.energy?.periods).toHaveLength(2);
  });
});

describe('parseNativeRates', () => {
  it('reads named periods, tiers, a schedule by months/hours/days, demand, fixed and minimum', () => {
    // Prepare
    const rates = {
      name: 'Summer TOU',
      energy: [
        { name: 'Off-peak', price: 0.1 },
        { name: 'Peak', tiers: [{ upTo: 300, price: 0.2 }, { price: 0.3 }], sell: 0.05 },
      ],
      schedule: [{ period: 'Peak', months: [6, 7, 8], hours: '15-20', days: 'weekdays' }],
      demand: { window: 30, monthly: [{ months: [6, 7, 8], price: 9 }], ratchet: { percent: 80, months: 11 } },
      fixed: { amount: 0.5, per: 'day' },
      minimum: { amount: 10, per: 'month' },
      exports: 'net-metering',
    };
    // Act
    const tariff = parseNativeRates(rates, 'plan.yaml');
    // Assess
    expect(tariff.energy?.periods.map((p) => p.label)).toEqual(['Off-peak', 'Peak']);
    expect(tariff.energy?.periods[1]?.tiers[0]).toEqual({ max: 300, unit: 'kWh', price: 0.2 });
    expect(tariff.energy?.schedule.weekday[6]?.slice(14, 21)).toEqual([0, 1, 1, 1, 1, 1, 0]);
    expect(tariff.energy?.schedule.weekend[6]?.[16]).toBe(0);
    expect(tariff.energy?.schedule.weekday[0]?.[16]).toBe(0);
    expect(tariff.flatDemand?.months).toEqual([-1, -1, -1, -1, -1, 0, 0, 0, -1, -1, -1, -1]);
    expect(tariff.ratchet?.fractionByMonth[0]).toBe(0.8);
    expect(tariff.demandWindowMinutes).toBe(30);
    expect(tariff.fixed).toEqual([{ amount: 0.5, per: 'day' }]);
    expect(tariff.minimum).toEqual([{ amount: 10, per: 'month' }]);
    expect(tariff.exports).toBe('net-metering');
  });

  it('reads a schedule written as weekday and weekend rule lists', () => {
    // Act
    const tariff = parseNativeRates(
      {
        energy: [
          { name: 'Off-peak', price: 0.1 },
          { name: 'Peak', price: 0.3 },
        ],
        schedule: {
          weekday: [{ months: [6, 7, 8], hours: '15-20', period: 1 }],
          weekend: [{ hours: [18], period: 'Peak' }],
        },
      },
      'plan.yaml',
    );
    // Assess
    expect(tariff.energy?.schedule.weekday[7]?.[15]).toBe(1);
    expect(tariff.energy?.schedule.weekday[0]?.[15]).toBe(0);
    expect(tariff.energy?.schedule.weekend[0]?.[18]).toBe(1);
    expect(tariff.energy?.schedule.weekend[7]?.[15]).toBe(0);
  });

  it('wraps an hour range past midnight', () => {
    // Act
    const tariff = parseNativeRates(
      { energy: [{ price: 0.2 }, { name: 'Night', price: 0.05 }], schedule: [{ period: 'Night', hours: '22-6' }] },
      'plan.yaml',
    );
    // Assess
    const row = tariff.energy?.schedule.weekend[0] ?? [];
    expect(row.flatMap((p, h) => (p === 1 ? [h] : []))).toEqual([22, 23, 0, 1, 2, 3, 4, 5].sort((a, b) => a - b));
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown top-level field', { energy: [{ price: 1 }], tarif: 1 }, 'p: /tarif'],
    ['an unknown period name', { energy: [{ price: 1 }], schedule: [{ period: 'Peak' }] }, 'p: /schedule/0/period'],
    [
      'a bad hour range',
      { energy: [{ price: 1 }], schedule: [{ period: 0, hours: '3pm-8pm' }] },
      'p: /schedule/0/hours',
    ],
    ['a month 13', { energy: [{ price: 1 }], schedule: [{ period: 0, months: [13] }] }, 'p: /schedule/0/months/0'],
    ['price and tiers together', { energy: [{ price: 1, tiers: [{ price: 1 }] }] }, 'p: /energy/0/tiers'],
    ['an upTo on the last tier', { energy: [{ tiers: [{ upTo: 5, price: 1 }] }] }, 'p: /energy/0/tiers/0/upTo'],
    ['a fixed charge per week', { fixed: { amount: 1, per: 'week' } }, 'p: /fixed/per'],
    ['a bad currency', { currency: 'dollars' }, 'p: /currency'],
    [
      'days inside a weekday rule list',
      { energy: [{ price: 1 }], schedule: { weekday: [{ period: 0, days: 'all' }] } },
      'p: /schedule/weekday/0/days',
    ],
    ['a rate where the native form says price', { energy: [{ rate: 0.2 }] }, 'p: /energy/0/rate'],
    ['a ratchet without monthly demand', { demand: { ratchet: { percent: 80 } } }, 'p: /demand/ratchet'],
  ])('fails on %s, naming the field', (_what, rates, field) => {
    // Act
    const error = errorOf(() => parseNativeRates(rates, 'p'));
    // Assess
    expect(error.field).toBe(field);
  });
});

describe('renderTariffTable', () => {
  it('shows periods with tiers, both grids, demand, fixed and minimum', () => {
    // Prepare
    const tariff = parseUrdbRecord(
      urdb({
        energyratestructure: [[{ max: 500, rate: 0.1 }, { rate: 0.12 }], [{ rate: 0.3 }]],
        energyweekdayschedule: flat(0).map((row, m) =>
          m >= 5 && m <= 8 ? row.map((p, h) => (h >= 15 && h < 20 ? 1 : p)) : row,
        ),
        flatdemandstructure: [[{ rate: 4.5 }]],
        flatdemandmonths: Array(12).fill(0),
        fixedchargefirstmeter: 0.33,
        fixedchargeunits: '$/day',
        mincharge: 10,
      }),
      'r.json',
    );
    // Act
    const text = renderTariffTable(tariff);
    // Assess
    expect(text).toContain('1 Period 1  1     up to 500  kWh   0.1 USD/kWh');
    expect(text).toMatch(/Jul {3}1 {3}1(?: {3}1){13}(?: {3}2){5}(?: {3}1){4}/);
    expect(text).toContain('Weekend energy periods');
    expect(text).toContain('Monthly demand');
    expect(text).toContain('4.5 USD/kW');
    expect(text).toContain('Fixed charge: 0.33 USD/day');
    expect(text).toContain('Minimum charge: 10 USD/month');
  });
});
