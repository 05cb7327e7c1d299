import { parseReadResponse, parseReadResponseWithRejections } from '../../functions/core/ekm/realtime';
import { generateAccount } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY } from '../../local/ekm-cloud/identities';
import { startFakeCloud } from '../../local/ekm-cloud/server';
import { parseReadResponse as referenceParse } from './realtime-reference';

/**
 * Differential tests: the optimised realtime parser must give exactly what the straightforward
 * implementation it replaced (realtime-reference.ts, kept verbatim) gives: same readings, same
 * field values (toEqual tells -0 from 0), same key order, same errors.
 */
type Outcome = { ok: unknown } | { error: string };
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}
function expectSame(body: string, ctx: { via: string; sinceMs?: number; untilMs?: number }): Outcome {
  const want = outcome(() => referenceParse(body, ctx));
  const got = outcome(() => parseReadResponse(body, ctx));
  expect(got).toEqual(want);
  if ('ok' in got) {
    // Same key order in every reading's fields (the lake keeps EKM's order in `extra`).
    const keys = (o: Outcome) => ('ok' in o ? (o.ok as { fields: object }[]).map((r) => Object.keys(r.fields)) : []);
    expect(keys(got)).toEqual(keys(want));
    // Without rejections the lenient parse is the strict parse.
    expect(parseReadResponseWithRejections(body, ctx)).toEqual({ readings: got.ok, rejected: [] });
  }
  return got;
}

describe('realtime parser vs the reference implementation', () => {
  let body = '';
  beforeAll(async () => {
    const cloud = await startFakeCloud({ account: generateAccount({ meters: 8 }), seed: 3 });
    try {
      const ids = cloud.account.gateways.flatMap((g) => g.meters.map((m) => m.id.replace(/^0+/, '')));
      const res = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=${ids.join('~')}&cnt=300`);
      body = await res.text();
    } finally {
      await cloud.close();
    }
  });

  it("agrees on the simulator's v3 and v4 output, in order, shuffled and repeated, with since/until", () => {
    const ok = expectSame(body, { via: 'demo' });
    expect('ok' in ok && (ok.ok as unknown[]).length).toBe(8 * 300);
    const json = JSON.parse(body) as { readMeter: { ReadSet: { ReadData: unknown[] }[] } };
    for (const set of json.readMeter.ReadSet) {
      const data = set.ReadData;
      set.ReadData = [...data.slice(150).reverse(), ...data.slice(0, 200), ...data.slice(100, 120)];
    }
    const shuffled = JSON.stringify(json);
    expectSame(shuffled, { via: 'demo' });
    const times = (JSON.parse(body).readMeter.ReadSet[0].ReadData as { Time_Stamp_UTC_ms: number }[]).map(
      (r) => r.Time_Stamp_UTC_ms,
    );
    expectSame(shuffled, { via: 'demo', sinceMs: times[40]!, untilMs: times[260]! });
  });

  it('agrees on hand-picked edge cases (empties next to text from non-strings, changing key sets)', () => {
    const reads = [
      { Good: 1, Time_Stamp_UTC_ms: 1773165600000, Cos_Theta_Ln_1: [], kWh_Tot: '', Meter_Time: null },
      { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '1.5', Cos_Theta_Ln_1: '0.9 L' },
      { Time_Stamp_UTC_ms: 1773165720000, Good: 0, Cos_Theta_Ln_1: '0.9 L', kWh_Tot: '1.5', X: 'y' },
      { Good: 1, Time_Stamp_UTC_ms: 1773165780000, kWh_Tot: '-0.00', RMS_Volts_Ln_1: '0000123456789012345.5' },
      { Good: 1, Time_Stamp_UTC_ms: 1773165840000, kWh_Tot: '99999999999999.9', RMS_Volts_Ln_1: '1.' },
    ];
    const doc = { readMeter: { ReadSet: [{ Meter: '350000900', Protocol: 'v4', ReadData: reads }] } };
    const got = expectSame(JSON.stringify(doc), { via: 'demo' });
    expect('ok' in got && (got.ok as { fields: object }[])[0]!.fields).toEqual({ Cos_Theta_Ln_1: '' });
  });

  it('agrees on 3000 seeded random field values (numbers, decimals, junk, empties, non-strings)', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const alphabet = '0000111223456789999..--+eE xb_a';
    const randomText = () => {
      let t = '';
      const n = Math.floor(rand() * 19);
      for (let i = 0; i < n; i++) t += pick([...alphabet]);
      return t;
    };
    const randomDecimal = () => {
      const digits = Math.floor(rand() * 18);
      let t = rand() < 0.3 ? '-' : '';
      for (let i = 0; i < digits; i++) t += String(Math.floor(rand() * 10));
      if (rand() < 0.7) t = `${t.slice(0, Math.floor(rand() * t.length))}.${t.slice(Math.floor(rand() * t.length))}`;
      return t;
    };
    const values = (): unknown =>
      pick([
        randomText,
        randomDecimal,
        randomDecimal,
        () => rand() * 1e6 - 5e5,
        () => pick([0, -0, 1, 1e21, 0.1, -12.5, 2 ** 53 + 2]),
        () => pick(['', null, true, false, [], {}, ' 12 ', '1e3', '0x1F', '0b11', '-0', '-0.00', '.5', '5.', '-']),
      ])();
    const fields = ['kWh_Tot', 'RMS_Volts_Ln_1', 'Cos_Theta_Ln_1', 'Meter_Time', 'Some_New_Field', 'Good', 'CT_Ratio'];
    for (let i = 0; i < 3000; i++) {
      const reads = [0, 1, 2].map((k) => {
        const read: Record<string, unknown> = { Good: 1, Time_Stamp_UTC_ms: 1773165600000 + k * 60_000 };
        for (const f of fields) if (rand() < 0.6) read[f] = values();
        return read;
      });
      const doc = { readMeter: { ReadSet: [{ Meter: '350000900', Protocol: 'v4', ReadData: reads }] } };
      expectSame(JSON.stringify(doc), { via: 'demo' });
    }
  });
});
