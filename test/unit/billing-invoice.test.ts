import { parseBillingFileText } from '../../functions/core/billing/billing-file';
import { buildPeriodGrid } from '../../functions/core/billing/calendar';
import { billPropertyMonth, type PricedPlan, priorPeaksKw } from '../../functions/core/billing/invoice';
import { INTERVAL_MS, type RegisterRead } from '../../functions/core/billing/model';
import { parseUrdbRecord } from '../../functions/core/billing/tariff';
import { meterUsage } from '../../functions/core/billing/usage';

const flat = (p: number) => Array.from({ length: 12 }, () => Array(24).fill(p) as number[]);
/** 0.20 $/kWh, $10.00 a month. */
const TARIFF = parseUrdbRecord(
  {
    name: 'Flat',
    energyratestructure: [[{ rate: 0.2, unit: 'kWh' }]],
    energyweekdayschedule: flat(0),
    energyweekendschedule: flat(0),
    fixedchargefirstmeter: 10,
    fixedchargeunits: '$/month',
  },
  'flat.json',
);

const BILLING = `
version: 1
currency: USD
properties:
  - id: elm
    timezone: UTC
    taxes: [{ name: Sales tax, percent: 6.25 }]
    fees: [{ name: Admin fee, amount: 2.5 }, { name: Service, percent: 3 }]
    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]
    tenants:
      - { id: a, meters: ["1"], plan: flat, area: 1, credits: [{ month: 2026-04, description: Goodwill credit, amount: 5 }, { month: 2026-05, description: Later, amount: 9 }] }
      - { id: b, meters: ["2"], plan: flat, area: 1, moveIn: 2026-04-16 }
      - { id: c, meters: ["3"], plan: flat, area: 1, moveOut: 2026-03-31 }
    commonAreas:
      - { id: hall, meters: ["9"], split: { by: SPLIT } }
`;

/** Reads every 15 minutes at `kW`, from a day before the month to a day after. */
function reads(kW: number, from = '2026-03-31T00:00:00Z', to = '2026-05-02T00:00:00Z'): RegisterRead[] {
  const out: RegisterRead[] = [];
  for (let t = Date.parse(from), r = 0; t <= Date.parse(to); t += INTERVAL_MS, r += kW / 4)
    out.push({ timeMs: t, kWhTot: r });
  return out;
}

function bill(split: string, hallKw = 1) {
  const billing = parseBillingFileText(BILLING.replace('SPLIT', split), 'billing.yaml');
  const property = billing.properties[0]!;
  const grid = buildPeriodGrid('UTC', '2026-04-01', '2026-04-30');
  const byMeter: Record<string, RegisterRead[]> = {
    '000000000001': reads(1),
    '000000000002': reads(2),
    '000000000003': reads(0.5),
    '000000000009': reads(hallKw),
  };
  const meters = new Map(Object.entries(byMeter).map(([m, r]) => [m, meterUsage(grid, { meter: m, reads: r })]));
  const plans = new Map<string, PricedPlan>([['flat', { tariff: TARIFF, version: property.plans[0]!.versions[0]! }]]);
  return billPropertyMonth({ billing, property, month: '2026-04', grid, plans, meters });
}

describe('invoice assembly', () => {
  it('bills the tenants occupying the month and says why the others are not billed', () => {
    const r = bill('area');
    expect(r.invoices.map((i) => i.tenant)).toEqual(['a', 'b']);
    expect(r.notBilled).toEqual([{ tenant: 'c', reason: 'moved out 2026-03-31' }]);
  });

  it('prorates a mid-month move-in: period, kWh, fixed charge and PRORATED flag', () => {
    // Act
    const b = bill('area').invoices[1]!;
    // Assess: 15 of 30 days, 2 kW → 720 kWh; $10 × 15/30
    expect(b.period).toEqual({ start: '2026-04-16', end: '2026-04-30' });
    expect(b.kWh).toBeCloseTo(720, 9);
    expect(b.dailyKWh).toHaveLength(15);
    expect(b.dailyKWh[0]).toEqual({ date: '2026-04-16', kWh: 48, estimated: false });
    expect(b.lines.find((l) => l.kind === 'energy')?.amountMinor).toBe(14400);
    expect(b.lines.find((l) => l.kind === 'fixed')?.amountMinor).toBe(500);
    expect(b.flags.map((f) => f.code)).toContain('PRORATED');
  });

  it('makes the total exactly the sum of the rounded lines, with taxes on the rounded lines and fees', () => {
    const a = bill('area').invoices[0]!;
    const byKind = (k: string) => a.lines.filter((l) => l.kind === k);
    // energy 720 kWh × 0.2 = 144.00, fixed 10.00, common area (hall 720 kWh → 154.00) split by area × days
    expect(byKind('energy')[0]!.amountMinor).toBe(14400);
    const common = byKind('common_area')[0]!;
    // a: weight 1 × 30/30, b: 1 × 15/30 → a gets 2/3 of 15400 = 10266.67 → 10267
    expect(common.amountMinor).toBe(10267);
    const [admin, service] = byKind('fee');
    expect(admin!.amountMinor).toBe(250);
    // 3 % of (14400 + 1000 + 10267 + 250) = 777.51 → 778
    expect(service!.amountMinor).toBe(778);
    expect(byKind('credit')).toEqual([expect.objectContaining({ description: 'Goodwill credit', amountMinor: -500 })]);
    // tax on everything before: 14400 + 1000 + 10267 + 250 + 778 − 500 = 26195 × 6.25 % = 1637.1875 → 1637
    expect(byKind('tax')[0]!.amountMinor).toBe(1637);
    expect(a.totalMinor).toBe(a.lines.reduce((s, l) => s + l.amountMinor, 0));
    expect(a.totalMinor).toBe(26195 + 1637);
  });

  it.each([
    ['area', 'a 2:1 by area × days'],
    ['usage', 'a 1:1 by kWh (720 each)'],
    ['fixed', 'equal shares × days'],
  ])('splits the common area by %s so the shares add up to the cent (%s)', (split) => {
    // Prepare: an awkward common-area total (0.37 kW → 266.4 kWh → 53.28 + 10.00)
    const r = bill(split, 0.37);
    // Act
    const shares = r.invoices.map((i) => i.lines.find((l) => l.kind === 'common_area')!.amountMinor);
    // Assess
    expect(r.commonAreas[0]!.totalMinor).toBe(6328);
    expect(shares.reduce((s, x) => s + x, 0)).toBe(6328);
    expect(Object.values(r.commonAreas[0]!.shares).reduce((s, x) => s + x, 0)).toBe(6328);
    if (split === 'usage') expect(shares).toEqual([3164, 3164]);
    else expect(shares).toEqual([4219, 2109]);
  });

  it('lists kWh by TOU period with the tariff labels', () => {
    const a = bill('area').invoices[0]!;
    expect(a.kWhByPeriod).toEqual([{ period: 0, label: 'Period 1', kWh: expect.closeTo(720, 9) }]);
    expect(a.plan).toEqual({ id: 'flat', versionFrom: '2026-01-01' });
  });

  it('computes ratchet history from the readings where they cover earlier months, else leaves holes', () => {
    // Prepare: a tariff with a 80 % ratchet over 11 months; readings cover Feb and Mar only
    const ratcheted = parseUrdbRecord(
      {
        name: 'Ratchet',
        energyratestructure: [[{ rate: 0.1, unit: 'kWh' }]],
        energyweekdayschedule: flat(0),
        energyweekendschedule: flat(0),
        flatdemandstructure: [[{ rate: 10 }]],
        flatdemandmonths: Array(12).fill(0),
        demandratchetpercentage: Array(12).fill(0.8),
        lookbackrange: 11,
        demandwindow: 15,
      },
      'ratchet.json',
    );
    const billing = parseBillingFileText(BILLING.replace('SPLIT', 'area'), 'billing.yaml');
    const tenant = billing.properties[0]!.tenants[0]!;
    const r = new Map([['000000000001', reads(3, '2026-01-31T23:45:00Z', '2026-04-01T00:00:00Z')]]);
    // Act
    const peaks = priorPeaksKw({ timezone: 'UTC', month: '2026-04', tenant, tariff: ratcheted, reads: r });
    // Assess
    expect(peaks?.[0]).toBeCloseTo(3, 9);
    expect(peaks?.[1]).toBeCloseTo(3, 9);
    expect(peaks?.[2]).toBeUndefined();
    expect(priorPeaksKw({ timezone: 'UTC', month: '2026-04', tenant, tariff: TARIFF, reads: r })).toBeUndefined();
  });
});
