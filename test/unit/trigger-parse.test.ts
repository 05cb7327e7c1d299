import { checkAgainstAccount } from '../../functions/core/triggers/account-check';
import { THRESHOLD_TESTS, toTriggerBody } from '../../functions/core/triggers/model';
import { parseTriggerFile, TriggerFileError } from '../../functions/core/triggers/parse';
import { checkRrule } from '../../functions/core/triggers/rrule-check';
import { demoAccount } from '../../local/ekm-cloud/identities';
import { FakeAccountApi } from '../fakes/fake-account-api';
import { SEED_ACTIONS, SEED_CONDITIONS } from '../fixtures/ekm/seed-trigger';

const NOW = Date.UTC(2026, 0, 1);
const EMAIL = '{ target: gateway, command: sendEmail }';
const RELAY =
  '{ target: meter, target_id: "000350000900", command: setRelay, params: { relay: relay_1, status: close, duration: 1 } }';
const DATA =
  '{ type: data, source: meter, source_id: "000350000900", field: kWh_Tot, threshold_test: ">", threshold_value: 10 }';

function file(triggers: string, mac = '4016fa0500cd'): string {
  return `version: 1\ngateways:\n  - mac: "${mac}"\n    triggers:\n${triggers}`;
}
function trigger(name: string, condition = DATA, action = EMAIL): string {
  return `      - name: ${JSON.stringify(name)}\n        conditions: [${condition}]\n        actions: [${action}]\n`;
}
function issuesOf(text: string): string[] {
  try {
    parseTriggerFile(text, 'triggers.yaml', { nowMs: NOW });
  } catch (error) {
    expect(error).toBeInstanceOf(TriggerFileError);
    return (error as TriggerFileError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the file to be rejected');
}

describe('parseTriggerFile', () => {
  it('fills the seed defaults and keeps the numbers as numbers', () => {
    // Act
    const { desired } = parseTriggerFile(file(trigger('a')), 'triggers.yaml', { nowMs: NOW });
    // Assess
    const spec = desired.gateways[0]?.triggers[0];
    expect(spec).toEqual({
      name: 'a',
      enabled: true,
      conditions: [
        {
          type: 'data',
          source: 'meter',
          source_id: '000350000900',
          field: 'kWh_Tot',
          threshold_test: '>',
          threshold_value: 10,
          duration: 0,
          hysteresis: 60,
          continuous: false,
          tolerance: 1e-6,
        },
      ],
      actions: [{ target: 'gateway', command: 'sendEmail' }],
    });
  });

  it('reads the same model from JSON, with EKM decimal strings accepted', () => {
    const json = JSON.stringify({
      version: 1,
      gateways: [
        {
          mac: '4016fa0500cd',
          triggers: [
            {
              name: 'a',
              conditions: [
                {
                  type: 'data',
                  source: 'meter',
                  source_id: '000350000900',
                  field: 'kWh_Tot',
                  threshold_test: '>',
                  threshold_value: '10',
                  hysteresis: '60',
                },
              ],
              actions: [{ target: 'gateway', command: 'sendEmail' }],
            },
          ],
        },
      ],
    });
    const fromJson = parseTriggerFile(json, 'triggers.json', { nowMs: NOW }).desired.gateways;
    const fromYaml = parseTriggerFile(file(trigger('a')), 'triggers.json', { nowMs: NOW }).desired.gateways;
    expect(fromJson).toEqual(fromYaml);
  });

  it('fails when two triggers of one gateway share a name, naming both paths', () => {
    const issues = issuesOf(file(trigger('Night') + trigger('Night')));
    expect(issues).toEqual([
      expect.stringMatching(
        /^\/gateways\/0\/triggers\/1\/name: duplicate trigger name "Night" in gateway 4016fa0500cd \(also at \/gateways\/0\/triggers\/0\).*rename one/,
      ),
    ]);
  });

  it.each([
    ['no DTSTART', 'RRULE:FREQ=DAILY', /no DTSTART line/],
    ['a local offset', 'DTSTART:20250101T060000+0200\\nRRULE:FREQ=DAILY', /local offset is not allowed/],
    ['a TZID', 'DTSTART;TZID=Europe/Paris:20250101T060000\\nRRULE:FREQ=DAILY', /TZID/],
    [
      'a bad frequency',
      'DTSTART:20250101T060000Z\\nRRULE:FREQ=SOMETIMES',
      /FREQ=SOMETIMES is not a frequency; use one of YEARLY/,
    ],
    [
      'a date that never comes',
      'DTSTART:20250101T060000Z\\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
      /FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30 never fires/,
    ],
    ['an impossible date', 'DTSTART:20250231T060000Z\\nRRULE:FREQ=DAILY', /not a valid date-time/],
  ])('fails on an RRULE with %s', (_what, rrule, message) => {
    const issues = issuesOf(file(trigger('r', `{ type: rrule, rrule: "${rrule}" }`)));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^\/gateways\/0\/triggers\/0\/conditions\/0\/rrule: RRULE /);
    expect(issues[0]).toMatch(message);
  });

  it('fails on unknown field names with a suggestion', () => {
    const issues = issuesOf(file(trigger('f', DATA.replace('kWh_Tot', 'kwh_tot'))));
    expect(issues).toEqual([expect.stringMatching(/\/field: unknown EKM field "kwh_tot"; did you mean kWh_Tot/)]);
  });

  it.each([['"ten"'], ['"10 kWh"'], ['true'], ['[1]']])('fails on the non-number threshold %s', (value) => {
    const issues = issuesOf(file(trigger('n', DATA.replace('threshold_value: 10', `threshold_value: ${value}`))));
    expect(issues).toEqual([expect.stringMatching(/conditions\/0\/threshold_value: must be a number \(got .*\)/)]);
  });

  it('fails on threshold tests outside the one list, and accepts each one in it', () => {
    expect(issuesOf(file(trigger('t', DATA.replace('">"', '"=~"'))))).toEqual([
      expect.stringMatching(/unknown threshold test "=~"; use one of == != >= <= > < rise_eq/),
    ]);
    for (const test of THRESHOLD_TESTS)
      expect(() =>
        parseTriggerFile(file(trigger('t', DATA.replace('">"', JSON.stringify(test)))), 'f', { nowMs: NOW }),
      ).not.toThrow();
  });

  it('reports schema problems with the file, the path and a fix, all at once', () => {
    const text = `version: 1\ngateways:\n  - mac: "40:16:fa:05:00:cd"\n    triggers:\n      - name: x\n        enabledd: true\n        conditions: [{ type: data, source: meter, source_id: "350000900", field: kWh_Tot, threshold_test: ">", threshold_value: 1 }]\n        actions: [{ command: reboot }]\n`;
    let error: TriggerFileError | undefined;
    try {
      parseTriggerFile(text, 'site.yaml', { nowMs: NOW });
    } catch (e) {
      error = e as TriggerFileError;
    }
    expect(error?.message).toContain('nothing was applied');
    expect(error?.issues.map((i) => `${i.file}:${i.path}`)).toEqual([
      'site.yaml:/gateways/0/mac',
      'site.yaml:/gateways/0/triggers/0',
      'site.yaml:/gateways/0/triggers/0/conditions/0/source_id',
      'site.yaml:/gateways/0/triggers/0/actions/0/command',
    ]);
    expect(error?.message).toMatch(/12 lower-case hex digits without colons/);
    expect(error?.message).toMatch(/unknown property "enabledd"/);
    expect(error?.message).toMatch(/12-digit zero-padded address/);
  });

  it('fails on YAML that does not parse, naming the line', () => {
    expect(issuesOf('version: 1\ngateways: [\n  - mac: x')).toEqual([
      expect.stringMatching(/not valid YAML\/JSON: line 3, column 3: /),
    ]);
  });

  it('lists the next 5 firings of every RRULE in UTC', () => {
    const { firings } = parseTriggerFile(
      file(
        trigger(
          'daily',
          '{ type: rrule, rrule: "DTSTART:20210702T173200\\nRRULE:FREQ=DAILY;BYHOUR=0;BYMINUTE=35;BYSECOND=0" }',
        ),
      ),
      'f',
      { nowMs: NOW },
    );
    expect(firings).toHaveLength(1);
    expect(firings[0]?.next.map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-01-01T00:35:00.000Z',
      '2026-01-02T00:35:00.000Z',
      '2026-01-03T00:35:00.000Z',
      '2026-01-04T00:35:00.000Z',
      '2026-01-05T00:35:00.000Z',
    ]);
  });
});

describe('checkRrule', () => {
  it('gives the same UTC firings whatever the process time zone', () => {
    const rule = 'DTSTART:20250301T063000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,FR;BYHOUR=6;BYMINUTE=30';
    const saved = process.env.TZ;
    const results: string[][] = [];
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham']) {
        process.env.TZ = tz;
        const check = checkRrule(rule, Date.UTC(2026, 2, 7));
        if (!check.ok) throw new Error(check.message);
        results.push(check.next.map((ms) => new Date(ms).toISOString()));
      }
    } finally {
      process.env.TZ = saved;
    }
    expect(results[0]).toEqual([
      '2026-03-09T06:30:00.000Z',
      '2026-03-13T06:30:00.000Z',
      '2026-03-16T06:30:00.000Z',
      '2026-03-20T06:30:00.000Z',
      '2026-03-23T06:30:00.000Z',
    ]);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('returns fewer firings when the rule ends', () => {
    const check = checkRrule('DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY;COUNT=2', Date.UTC(2026, 0, 1));
    expect(check.ok && check.next.length).toBe(2);
  });
});

describe('checkAgainstAccount', () => {
  const account = demoAccount();
  async function view() {
    const api = new FakeAccountApi(account);
    const key = { alias: 'demo', key: 'k' };
    return { gateways: await api.gateways(key), meters: await api.meters(key) };
  }
  const parse = (text: string) => parseTriggerFile(text, 'f.yaml', { nowMs: NOW }).desired;

  it('accepts the demo gateway with a relay on a v4 meter', async () => {
    expect(checkAgainstAccount(parse(file(trigger('ok', DATA, RELAY))), await view())).toEqual([]);
  });

  it('fails on a relay action on a v3 meter', async () => {
    const issues = checkAgainstAccount(
      parse(file(trigger('v3', DATA, RELAY.replace('000350000900', '000000010068')))),
      await view(),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(
        /^\/gateways\/0\/triggers\/0\/actions\/0: setRelay on meter 000000010068, a v3 Omnimeter: v3 meters have no controllable relays/,
      ),
    ]);
  });

  it('fails on unknown gateways and meters, and on v4-only fields on a v3 meter', async () => {
    const v3Field = DATA.replace('000350000900', '000000010068').replace('kWh_Tot', 'Line_Freq');
    const issues = checkAgainstAccount(
      parse(
        `${file(trigger('a', DATA.replace('000350000900', '000399999999')) + trigger('b', v3Field))}  - mac: "0123456789ab"\n    triggers: []\n`,
      ),
      await view(),
    );
    expect(issues.map((i) => i.path)).toEqual([
      '/gateways/0/triggers/0/conditions/0/source_id',
      '/gateways/0/triggers/1/conditions/0/field',
      '/gateways/1/mac',
    ]);
    expect(issues[1]?.message).toMatch(/does not exist on v3 meter 000000010068/);
  });
});

describe('toTriggerBody', () => {
  it('writes the request body in the seed example form', () => {
    const { desired } = parseTriggerFile(file(trigger('Some trigger', DATA.replace('">"', 'rise_eq'), RELAY)), 'f', {
      nowMs: NOW,
    });
    const spec = desired.gateways[0]?.triggers[0];
    if (!spec) throw new Error('no trigger');
    expect(toTriggerBody(spec)).toEqual({
      trigger_name: 'Some trigger',
      enabled: true,
      conditions: SEED_CONDITIONS,
      actions: SEED_ACTIONS,
    });
  });
});
