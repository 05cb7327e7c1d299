import { parseBillingFileText } from '../../functions/core/billing/billing-file';
import { INTERVAL_MS, type RegisterRead } from '../../functions/core/billing/model';
import type { BillingFileSource, ReadingsSource } from '../../functions/ports/billing-sources';
import { makeBillMonth } from '../../functions/use-cases/bill-month';

const flat = (p: number) => Array.from({ length: 12 }, () => Array(24).fill(p) as number[]);
const RECORD = {
  name: 'Flat',
  energyratestructure: [[{ rate: 0.2, unit: 'kWh' }]],
  energyweekdayschedule: flat(0),
  energyweekendschedule: flat(0),
  fixedchargefirstmeter: 10,
  fixedchargeunits: '$/month',
};

const FILE = `
version: 1
currency: USD
properties:
  - id: good
    timezone: America/Chicago
    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]
    tenants: [{ id: t1, meters: ["1"], plan: flat }]
  - id: late-plan
    timezone: UTC
    plans: [{ id: flat, versions: [{ from: 2026-04-15, urdb: flat.json }] }]
    tenants: [{ id: t2, meters: ["2"], plan: flat }]
  - id: no-reads
    timezone: UTC
    plans: [{ id: flat, versions: [{ from: 2026-01-01, urdb: flat.json }] }]
    tenants: [{ id: t3, meters: ["3"], plan: flat }, { id: t4, meters: ["4"], plan: flat }]
`;

/** Hand-written fakes of the two ports. */
function sources(reads: Record<string, RegisterRead[]>): { billing: BillingFileSource; readings: ReadingsSource } {
  return {
    billing: {
      file: 'billing.yaml',
      load: async () => parseBillingFileText(FILE, 'billing.yaml'),
      urdbRecord: async () => RECORD,
    },
    readings: {
      description: 'readings.csv',
      readings: async (meters) => new Map(meters.filter((m) => reads[m]).map((m) => [m, reads[m]!])),
    },
  };
}

function steady(kW: number, from: string, to: string): RegisterRead[] {
  const out: RegisterRead[] = [];
  for (let t = Date.parse(from), r = 0; t <= Date.parse(to); t += INTERVAL_MS, r += kW / 4)
    out.push({ timeMs: t, kWhTot: r });
  return out;
}

describe('bill month (use-case)', () => {
  const month = steady(1, '2026-04-01T00:00:00Z', '2026-05-02T00:00:00Z');

  it('bills the properties it can and reports why the others were not billed', async () => {
    // Prepare: no plan version in force for April at late-plan; meter 4 missing from the readings
    const bill = makeBillMonth(sources({ '000000000001': month, '000000000002': month, '000000000003': month }));
    // Act
    const r = await bill({ month: '2026-04' });
    // Assess
    expect(r.ok).toBe(false);
    expect(r.invoices.map((i) => `${i.property}/${i.tenant}`)).toEqual(['good/t1']);
    expect(r.properties.map((p) => [p.property, p.ok])).toEqual([
      ['good', true],
      ['late-plan', false],
      ['no-reads', false],
    ]);
    expect(r.properties[1]!.error).toMatch(
      /^billing\.yaml: \/properties\/1\/plans\/0\/versions: plan flat has no version in force for 2026-04/,
    );
    expect(r.properties[2]!.error).toBe(
      'billing.yaml: /properties/2/tenants/1/meters/0: meter 000000000004 has no reads in readings.csv; check the meter address, or pass readings that include it',
    );
  });

  it('bills in the property time zone (Chicago April: 05:00Z to 05:00Z, 720 kWh at 1 kW)', async () => {
    const r = await makeBillMonth(sources({ '000000000001': month }))({ month: '2026-04', property: 'good' });
    expect(r.ok).toBe(true);
    const inv = r.invoices[0]!;
    // Reads start at 00:00Z, before local midnight (05:00Z): the month is fully measured.
    expect(inv.kWh).toBeCloseTo(720, 9);
    expect(inv.flags).toEqual([]);
    expect(inv.totalMinor).toBe(14400 + 1000);
  });

  it('refuses a meter whose reads all end before the month', async () => {
    const old = steady(1, '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z');
    const r = await makeBillMonth(sources({ '000000000001': old }))({ month: '2026-04', property: 'good' });
    expect(r.properties[0]!.error).toMatch(
      /^billing\.yaml: \/properties\/0\/tenants\/0\/meters\/0: the reads of meter 000000000001 do not cover 2026-04 \(they run from 2026-02-01T00:00Z to 2026-03-01T00:00Z\)/,
    );
  });

  it('passes ratchet history computed from readings that cover earlier months', async () => {
    // Prepare: 80 % ratchet over the 3 previous months; 4 kW in January-March, 1 kW in April
    const ratchet = {
      ...RECORD,
      flatdemandstructure: [[{ rate: 10 }]],
      flatdemandmonths: Array(12).fill(0),
      demandratchetpercentage: Array(12).fill(0.8),
      lookbackrange: 3,
    };
    const history = steady(4, '2025-12-31T00:00:00Z', '2026-04-01T05:00:00Z');
    const last = history[history.length - 1]!;
    const april = month
      .filter((r) => r.timeMs > last.timeMs)
      .map((r) => ({ timeMs: r.timeMs, kWhTot: last.kWhTot + (r.timeMs - last.timeMs) / 3_600_000 }));
    const withRatchet = (reads: RegisterRead[]) => {
      const s = sources({ '000000000001': reads });
      return makeBillMonth({ ...s, billing: { ...s.billing, urdbRecord: async () => ratchet } });
    };
    // Act
    const covered = await withRatchet([...history, ...april])({ month: '2026-04', property: 'good' });
    const uncovered = await withRatchet(april)({ month: '2026-04', property: 'good' });
    // Assess: billing demand 0.8 × 4 kW = 3.2 kW at $10
    const demand = (r: typeof covered) => r.invoices[0]!.lines.filter((l) => l.kind === 'demand');
    expect(demand(covered).reduce((s, l) => s + l.amountMinor, 0)).toBe(3200);
    expect(covered.invoices[0]!.flags.map((f) => f.code)).not.toContain('RATCHET_HISTORY_MISSING');
    expect(uncovered.invoices[0]!.flags.map((f) => f.code)).toContain('RATCHET_HISTORY_MISSING');
  });

  it('refuses a meter when more than half of the billed intervals would come from the profile', async () => {
    // Prepare: reads stop on 14 April (Chicago) → 16.x of 30 days unread; a tenant moving out on the 10th is fine
    const early = steady(1, '2026-04-01T00:00:00Z', '2026-04-14T05:00:00Z');
    // Act
    const r = await makeBillMonth(sources({ '000000000001': early }))({ month: '2026-04', property: 'good' });
    // Assess
    expect(r.properties[0]!.error).toMatch(
      /^billing\.yaml: \/properties\/0\/tenants\/0\/meters\/0: the reads of meter 000000000001 leave 57% of its billed part of 2026-04 with no read on one side .*at most 50% may be estimated/,
    );
    const s = sources({ '000000000001': early });
    const movedOut = makeBillMonth({
      ...s,
      billing: {
        ...s.billing,
        load: async () =>
          parseBillingFileText(
            FILE.replace('plan: flat }]\n  - id: late-plan', 'plan: flat, moveOut: 2026-04-10 }]\n  - id: late-plan'),
            'billing.yaml',
          ),
      },
    });
    const ok = await movedOut({ month: '2026-04', property: 'good' });
    expect(ok.ok).toBe(true);
    expect(ok.invoices[0]!.kWh).toBeCloseTo(240, 9);
  });

  it('fails on an unknown --property, naming the properties', async () => {
    await expect(makeBillMonth(sources({}))({ month: '2026-04', property: 'nope' })).rejects.toThrow(
      '--property: no property "nope" in billing.yaml; properties: good, late-plan, no-reads',
    );
  });
});
