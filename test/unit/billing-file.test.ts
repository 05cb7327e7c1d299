import { BillingFileError, parseBillingFileText, versionInForce } from '../../functions/core/billing/billing-file';
import { ValidationError } from '../../functions/core/errors';

const GOOD = `
version: 1
currency: USD
properties:
  - id: elm-street
    timezone: America/New_York          # periods, hours and days are this zone's local time
    taxes: [{ name: Sales tax, percent: 6.25 }]
    fees: [{ name: Admin fee, amount: 2.5 }]
    plans:
      - id: tou
        versions:
          - { from: 2026-01-01, urdb: tariffs/utility-tou.json }
          - { from: 2026-07-01, urdb: tariffs/utility-tou.json, override: { fixedchargefirstmeter: 14.5 } }
          - { from: 2027-01-01, rates: { energy: [{ rate: 0.2 }] } }
    tenants:
      - { id: unit-a, name: Unit A, meters: ["000300000011"], plan: tou, moveIn: 2026-03-11, area: 80 }
      - { id: unit-b, name: Unit B, meters: [300000012], plan: tou, area: 120, credits: [{ month: 2026-03, description: Goodwill, amount: 5 }] }
    commonAreas:
      - { id: hall, meters: ["000300000013"], split: { by: area } }
`;

/** The problems of a billing file (text with one substitution) as "pointer: message" strings. */
function problems(text: string): string[] {
  try {
    parseBillingFileText(text, 'billing.yaml');
  } catch (error) {
    if (error instanceof BillingFileError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('billing file', () => {
  it('accepts the documented shape and fills defaults', () => {
    // Act
    const b = parseBillingFileText(GOOD, 'billing.yaml');
    // Assess
    const p = b.properties[0]!;
    expect(p.currency).toBe('USD');
    expect(p.taxes).toEqual([{ name: 'Sales tax', percent: 6.25 }]);
    expect(p.tenants[1]!.meters).toEqual(['000300000012']);
    expect(p.tenants[0]).toMatchObject({ moveIn: '2026-03-11', plan: 'tou', path: '/properties/0/tenants/0' });
    expect(p.commonAreas[0]).toMatchObject({ plan: 'tou', split: { by: 'area' } });
    expect(p.plans[0]!.versions[1]!.override).toEqual({ fixedchargefirstmeter: 14.5 });
  });

  it('reads JSON too', () => {
    const b = parseBillingFileText(
      JSON.stringify({
        version: 1,
        currency: 'EUR',
        properties: [
          {
            id: 'p',
            timezone: 'Europe/Berlin',
            plans: [{ id: 'x', versions: [{ from: '2026-01-01', rates: {} }] }],
            tenants: [{ id: 't', meters: ['1'], plan: 'x' }],
          },
        ],
      }),
      'billing.json',
    );
    expect(b.properties[0]!.tenants[0]!.meters).toEqual(['000000000001']);
  });

  it('fails naming the file, the pointer, the bad value and the fix', () => {
    // Act
    let error: unknown;
    try {
      parseBillingFileText(GOOD.replace('moveIn: 2026-03-11', 'moveIn: 2026-13-01'), 'billing.yaml');
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      /^billing\.yaml: \/properties\/0\/tenants\/0\/moveIn: expected a date YYYY-MM-DD, got "2026-13-01"; write e\.g\. 2026-03-11/,
    );
  });

  it.each([
    [
      'a month that does not exist',
      ['moveIn: 2026-03-11', 'moveIn: 2026-13-01'],
      '/properties/0/tenants/0/moveIn',
      /got "2026-13-01"/,
    ],
    [
      'a day that does not exist',
      ['moveIn: 2026-03-11', 'moveIn: 2026-02-30'],
      '/properties/0/tenants/0/moveIn',
      /"2026-02-30"; that day does not exist/,
    ],
    [
      'a bad version date',
      ['from: 2026-07-01', 'from: 2026-7-1'],
      '/properties/0/plans/0/versions/1/from',
      /expected a date YYYY-MM-DD, got "2026-7-1"/,
    ],
    [
      'an unknown plan id',
      ['plan: tou, moveIn', 'plan: flat, moveIn'],
      '/properties/0/tenants/0/plan',
      /unknown plan "flat"; plans of property elm-street: tou/,
    ],
    [
      'an unknown time zone',
      ['America/New_York', 'America/Springfield'],
      '/properties/0/timezone',
      /unknown time zone "America\/Springfield"/,
    ],
    [
      'a bad meter address',
      ['["000300000011"]', '["0003-0000-0011"]'],
      '/properties/0/tenants/0/meters/0',
      /1-12 digits.*got "0003-0000-0011"/,
    ],
    ['a bad currency', ['currency: USD', 'currency: usd'], '/currency', /ISO 4217.*got "usd"/],
    ['an unknown property', ['area: 80', 'areaa: 80'], '/properties/0/tenants/0', /unknown property "areaa"/],
    [
      'versions out of date order',
      ['from: 2027-01-01', 'from: 2026-02-01'],
      '/properties/0/plans/0/versions/2/from',
      /date order/,
    ],
    [
      'a version with both urdb and rates',
      ['override: { fixedchargefirstmeter: 14.5 }', 'rates: {}'],
      '/properties/0/plans/0/versions/1',
      /exactly one of urdb/,
    ],
    [
      'moveOut before moveIn',
      ['moveIn: 2026-03-11', 'moveIn: 2026-03-11, moveOut: 2026-03-01'],
      '/properties/0/tenants/0/moveOut',
      /before moveIn/,
    ],
    [
      'a bad credit month',
      ['month: 2026-03', 'month: 2026-3'],
      '/properties/0/tenants/1/credits/0/month',
      /expected a month YYYY-MM, got "2026-3"/,
    ],
    [
      'a split by area with a tenant without area',
      ['area: 120, ', ''],
      '/properties/0/tenants/1',
      /split by area, but tenant unit-b has no area/,
    ],
    [
      'a fee with both amount and percent',
      ['amount: 2.5', 'amount: 2.5, percent: 3'],
      '/properties/0/fees/0',
      /exactly one of amount/,
    ],
    ['a missing plan', ['plan: tou, moveIn', 'moveIn'], '/properties/0/tenants/0', /missing required property "plan"/],
    [
      'a duplicate tenant id',
      ['id: unit-b', 'id: unit-a'],
      '/properties/0/tenants/1/id',
      /duplicate tenant id "unit-a"/,
    ],
  ])('fails on %s with the exact pointer', (_name, [from, to], pointer, message) => {
    // Act
    const found = problems(GOOD.replace(from!, to!));
    // Assess
    const hit = found.find((p) => p.startsWith(`${pointer}: `));
    expect(hit).toBeDefined();
    expect(hit).toMatch(message);
  });

  it('fails on overlapping tenancies on one meter, naming both', () => {
    const text = GOOD.replace(
      '- { id: unit-b',
      '- { id: unit-c, meters: ["000300000011"], plan: tou, moveIn: 2026-01-01, moveOut: 2026-03-11, area: 1 }\n      - { id: unit-b',
    );
    const found = problems(text);
    expect(found).toEqual([
      expect.stringMatching(
        /^\/properties\/0\/tenants\/1\/meters\/0: meter 000300000011 is also on tenant unit-a \(\/properties\/0\/tenants\/0\/meters\/0, from 2026-03-11\) while tenant unit-c has it from 2026-01-01 to 2026-03-11; tenancies on one meter must not overlap/,
      ),
    ]);
  });

  it('accepts consecutive tenancies on one meter', () => {
    const text = GOOD.replace(
      '- { id: unit-b',
      '- { id: unit-c, meters: ["000300000011"], plan: tou, moveIn: 2026-01-01, moveOut: 2026-03-10, area: 1 }\n      - { id: unit-b',
    );
    expect(problems(text)).toEqual([]);
  });

  it('fails when a common-area meter is also a tenant meter', () => {
    const found = problems(GOOD.replace('meters: ["000300000013"]', 'meters: ["000300000011"]'));
    expect(found[0]).toMatch(
      /^\/properties\/0\/commonAreas\/0\/meters\/0: meter 000300000011 is also on tenant unit-a/,
    );
  });

  it('collects every problem in one error', () => {
    const found = problems(
      GOOD.replace('moveIn: 2026-03-11', 'moveIn: 2026-13-01').replace('currency: USD', 'currency: usd'),
    );
    expect(found.length).toBeGreaterThanOrEqual(2);
  });

  it('fails on text that is not YAML', () => {
    expect(problems('version: 1\n  bad: [\n')[0]).toMatch(/^: not valid YAML\/JSON: line \d+, column \d+: /);
  });

  it('names the position of a syntax error but never quotes the text around it', () => {
    // Prepare: a note that starts like an alias, and a broken flow mapping, both beside a secret-looking value
    const texts = ['version: 1\nnote: *tok_SECRET_123\n', 'version: 1\nnote: { a: tok_SECRET_456\n'];
    for (const text of texts) {
      // Act
      const [problem] = problems(text);
      // Assess
      expect(problem).toMatch(/line [23], column \d+/);
      expect(problem).not.toMatch(/SECRET/);
    }
  });

  describe('version in force', () => {
    const b = parseBillingFileText(GOOD.replace('from: 2026-07-01', 'from: 2026-07-15'), 'billing.yaml');
    const plan = b.properties[0]!.plans[0]!;
    it.each([
      ['2026-01', '2026-01-01'],
      ['2026-07', '2026-01-01'],
      ['2026-08', '2026-07-15'],
      ['2027-01', '2027-01-01'],
    ])('prices %s with the version from %s (a mid-month version applies from the next month)', (month, from) => {
      expect(versionInForce(b, plan, month).from).toBe(from);
    });
    it('fails on a month before the first version (a gap), naming the plan and the fix', () => {
      expect(() => versionInForce(b, plan, '2025-12')).toThrow(
        /^billing\.yaml: \/properties\/0\/plans\/0\/versions: plan tou has no version in force for 2025-12: its first version starts 2026-01-01.*add a version with from on or before 2025-12-01/,
      );
    });
  });
});
