import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EkmAccountClient } from '../../functions/adapters/ekm/account-client';
import { EkmRealtimeClient } from '../../functions/adapters/ekm/realtime-client';
import { EkmSummaryClient } from '../../functions/adapters/ekm/summary-client';
import { UndiciHttpClient, type UndiciHttpClientOptions } from '../../functions/adapters/undici-http-client';
import { EkmApiError, EkmHttpError, EkmResponseError } from '../../functions/core/ekm/ekm-errors';
import { ValidationError } from '../../functions/core/errors';
import type { Reading } from '../../functions/core/readings/reading';
import type { EkmKey } from '../../functions/ports/ekm-api';
import { demoAccountWithScopedKeys } from '../../local/ekm-cloud/generate-account';
import { DEMO_ACCOUNT_KEY, DEMO_METER_ID } from '../../local/ekm-cloud/identities';
import { type FakeCloud, manualClock, startFakeCloud } from '../../local/ekm-cloud/server';
import { simulateReads } from '../../local/ekm-cloud/simulator';

const NOW = Date.UTC(2026, 2, 10, 18, 30, 30);
const clock = manualClock(NOW);
const account = demoAccountWithScopedKeys();
const key: EkmKey = { alias: 'demo', key: DEMO_ACCOUNT_KEY };
const METERS = ['000350000900', '000350000901', '000350000902', '000000010068'];
let cloud: FakeCloud;

beforeAll(async () => {
  cloud = await startFakeCloud({ account, clock, seed: 7 });
});
afterAll(async () => {
  await cloud.close();
});
beforeEach(() => {
  clock.set(NOW);
  cloud.setFaults({});
});

const opened: UndiciHttpClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});
function clients(http: UndiciHttpClientOptions = {}) {
  const h = new UndiciHttpClient({ maxRetries: 4, baseDelayMs: 1, sleep: async () => {}, ...http });
  opened.push(h);
  return {
    http: h,
    realtime: new EkmRealtimeClient(h, { baseUrl: cloud.url, batchSize: 3 }),
    summary: new EkmSummaryClient(h, { baseUrl: cloud.url }),
    account: new EkmAccountClient(h, { baseUrl: cloud.url }),
  };
}
const meterSpec = (id: string) => account.gateways.flatMap((g) => g.meters).find((m) => m.id === id)!;
const sim = () => ({ seed: cloud.seed, historyStartMs: cloud.historyStartMs, badReadRate: cloud.badReadRate });
const num = (r: Reading, f: string) => r.fields[f] as number;

describe('Account API through the client', () => {
  it('discovers the demo meters and gateway with protocols', async () => {
    const c = clients();
    const meters = await c.account.meters(key);
    expect(meters.map((m) => m.meter)).toEqual([...METERS, '000350000950']);
    expect(meters[0]).toEqual({ meter: DEMO_METER_ID, gateway: '4016fa0500cd', protocol: 'v4' });
    expect(meters.find((m) => m.meter === '000000010068')?.protocol).toBe('v3');
    const gateways = await c.account.gateways(key);
    expect(gateways.map((g) => g.mac)).toEqual(['4016fa0500cd', '4016fa0500ce']);
  });

  it('scopes gateway and meter keys to their own meters', async () => {
    const c = clients();
    const gw = await c.account.meters({ alias: 'gw', key: account.gatewayKey });
    expect(gw.map((m) => m.meter)).toEqual(METERS);
    const one = await c.account.meters({ alias: 'm', key: account.meterKey });
    expect(one.map((m) => m.meter)).toEqual([DEMO_METER_ID]);
    await expect(
      c.realtime.read({ alias: 'm', key: account.meterKey }, { meters: ['000350000901'] }),
    ).rejects.toMatchObject({ ekmStatus: 1200, meters: ['000350000901'] });
  });
});

describe('Realtime API through the client', () => {
  it('returns typed readings identical to the simulator series, ordered by meter then time', async () => {
    const c = clients();
    const reads = await c.realtime.read(key, { meters: METERS, cnt: 5 });
    expect(reads).toHaveLength(20);
    expect(reads.map((r) => r.meter)).toEqual(METERS.flatMap((m) => Array(5).fill(m)));
    for (const m of METERS) {
      const mine = reads.filter((r) => r.meter === m);
      const expected = simulateReads(meterSpec(m), NOW - 5 * 60_000 - 1000, NOW, sim()).slice(-5);
      expect(mine.map((r) => r.timeMs)).toEqual(expected.map((e) => e.timeMs));
      for (const [i, r] of mine.entries()) {
        expect(r).toMatchObject({ source: 'realtime', via: 'demo', good: expected[i]!.good });
        if (r.good) expect(r.fields).toEqual(expected[i]!.values);
      }
    }
  });

  it('keeps the physics: tariffs sum to the total, watts ≈ V×A×PF, lines sum to the total, counters grow', async () => {
    const c = clients();
    const reads = (await c.realtime.read(key, { meters: METERS, cnt: 120 })).filter((r) => r.good);
    for (const r of reads) {
      const tariffs = [1, 2, 3, 4].reduce((s, k) => s + num(r, `kWh_Tariff_${k}`), 0);
      expect(num(r, 'kWh_Tot')).toBeCloseTo(tariffs, 6);
      let lineSum = 0;
      for (const l of [1, 2, 3]) {
        const w = num(r, `RMS_Watts_Ln_${l}`);
        const vap = num(r, `RMS_Volts_Ln_${l}`) * num(r, `Amps_Ln_${l}`) * (num(r, `Power_Factor_Ln_${l}`) / 100);
        expect(Math.abs(w - vap)).toBeLessThanOrEqual(0.05 * num(r, `RMS_Volts_Ln_${l}`) + 0.01 * w + 2);
        lineSum += w;
      }
      expect(num(r, 'RMS_Watts_Tot')).toBe(lineSum);
    }
    for (const m of METERS) {
      const series = reads.filter((r) => r.meter === m);
      for (let i = 1; i < series.length; i++) {
        expect(num(series[i]!, 'kWh_Tot')).toBeGreaterThanOrEqual(num(series[i - 1]!, 'kWh_Tot'));
      }
    }
    const solar = reads.filter((r) => r.meter === '000350000901');
    expect(num(solar.at(-1)!, 'Rev_kWh_Tot')).toBeGreaterThan(num(solar[0]!, 'Rev_kWh_Tot'));
    expect(typeof solar[0]!.fields.Cos_Theta_Ln_1).toBe('string');
    const pulses = reads.filter((r) => r.meter === '000350000902');
    expect(num(pulses.at(-1)!, 'Pulse_Cnt_1')).toBeGreaterThan(num(pulses[0]!, 'Pulse_Cnt_1'));
  });

  it('honours since/until, fields and the 1000-read ring', async () => {
    const c = clients();
    const since = NOW - 10 * 60_000;
    const reads = await c.realtime.read(key, {
      meters: [DEMO_METER_ID],
      cnt: 1000,
      sinceMs: since,
      fields: ['kWh_Tot'],
    });
    expect(reads.length).toBe(10);
    expect(
      reads.every((r) => r.timeMs > since && Object.keys(r.fields).every((f) => f === 'kWh_Tot' || f === 'PERR.NR')),
    ).toBe(true);
    const ring = await c.realtime.read(key, { meters: [DEMO_METER_ID], cnt: 1000, sinceMs: NOW - 5000 * 60_000 });
    expect(ring).toHaveLength(1000);
    expect(ring[0]!.timeMs).toBeGreaterThan(NOW - 1000 * 60_000);
    const until = await c.realtime.read(key, { meters: [DEMO_METER_ID], cnt: 3, untilMs: NOW - 60 * 60_000 });
    expect(until.map((r) => r.timeMs).every((t) => t <= NOW - 60 * 60_000)).toBe(true);
    expect(until).toHaveLength(3);
  });

  it('serves the path-style URL like the query style', async () => {
    const res = await fetch(`${cloud.url}/readMeter/v4/key/${DEMO_ACCOUNT_KEY}/count/2/format/json/meters/350000900/`);
    const body = (await res.json()) as { readMeter: { ReadSet: { Meter: string; ReadData: unknown[] }[] } };
    expect(body.readMeter.ReadSet[0]!.Meter).toBe('350000900');
    expect(body.readMeter.ReadSet[0]!.ReadData).toHaveLength(2);
  });
});

describe('Summary API through the client', () => {
  it("computes buckets from the same series: a day's kWh_Tot_Diff is the realtime delta", async () => {
    const c = clients();
    const dayStart = Date.UTC(2026, 2, 9);
    const buckets = await c.summary.read(key, {
      meters: [DEMO_METER_ID],
      report: 'dy',
      startMs: dayStart,
      endMs: dayStart + 86_400_000,
      fields: ['kWh_Tot*'],
    });
    expect(buckets).toHaveLength(1);
    const series = simulateReads(meterSpec(DEMO_METER_ID), dayStart - 1, dayStart + 86_400_000 - 1, sim()).filter(
      (r) => r.good,
    );
    const delta = (series.at(-1)!.values.kWh_Tot as number) - (series[0]!.values.kWh_Tot as number);
    expect(buckets[0]!.values.kWh_Tot_Diff).toBeCloseTo(delta, 6);
    expect(buckets[0]!.values.Count).toBe(series.length);
    expect(
      Object.keys(buckets[0]!.values)
        .filter((k) => k !== 'Count')
        .every((k) => k.startsWith('kWh_Tot_')),
    ).toBe(true);

    // Hourly buckets against readings pulled through the realtime client (inside the 1000-read ring).
    const hourStart = Date.UTC(2026, 2, 10, 12);
    const [hour] = await c.summary.read(key, {
      meters: [DEMO_METER_ID],
      report: 'hr',
      startMs: hourStart,
      endMs: hourStart + 3_600_000,
    });
    const rt = (
      await c.realtime.read(key, {
        meters: [DEMO_METER_ID],
        cnt: 1000,
        sinceMs: hourStart - 1,
        untilMs: hourStart + 3_599_999,
      })
    ).filter((r) => r.good);
    expect(hour!.values.kWh_Tot_Diff).toBeCloseTo(num(rt.at(-1)!, 'kWh_Tot') - num(rt[0]!, 'kWh_Tot'), 6);
    expect(hour!.values.RMS_Volts_Ln_1_Max).toBe(Math.max(...rt.map((r) => num(r, 'RMS_Volts_Ln_1'))));
  });

  it('pages through limit/offset for the caller and handles several meters (bulk)', async () => {
    const paged = new EkmSummaryClient(clients().http, { baseUrl: cloud.url, pageSize: 7 });
    const whole = clients().summary;
    const q = {
      meters: METERS,
      report: 'hr' as const,
      startMs: Date.UTC(2026, 2, 9),
      endMs: Date.UTC(2026, 2, 10),
      fields: ['kWh_Tot_Diff'],
    };
    const a = await paged.read(key, q);
    const b = await whole.read(key, q);
    expect(a).toHaveLength(96);
    expect(a).toEqual(b);
  });

  it('returns no buckets for a range without data (EKM status 1001)', async () => {
    const c = clients();
    const before = cloud.historyStartMs - 10 * 86_400_000;
    await expect(
      c.summary.read(key, { meters: [DEMO_METER_ID], report: 'dy', startMs: before, endMs: before + 86_400_000 }),
    ).resolves.toEqual([]);
  });
});

describe('every injected fault', () => {
  const q = { meters: METERS, cnt: 3 };
  let clean: Reading[];
  beforeEach(async () => {
    clean = await clients().realtime.read(key, q);
  });

  it.each([['429'], ['5xx'], ['reset'], ['truncate']] as const)('recovers from %s by retrying', async (fault) => {
    cloud.setFaults({ sequence: [fault, fault] });
    const c = clients();
    await expect(c.realtime.read(key, q)).resolves.toEqual(clean);
    expect(c.http.stats().retries).toBe(2);
    expect(cloud.stats().faults[fault]).toBe(2);
  });

  it('honours Retry-After on 429', async () => {
    cloud.setFaults({ sequence: ['429'], retryAfterSec: 3 });
    const waits: number[] = [];
    const c = clients({ sleep: async (ms) => void waits.push(ms) });
    await c.realtime.read(key, { meters: [DEMO_METER_ID] });
    expect(waits).toEqual([3000]);
  });

  it('retries a body that stalls past the client body timeout', async () => {
    cloud.setFaults({ sequence: ['slow'], slowBodyMs: 5000 });
    const c = clients({ bodyTimeoutMs: 300 });
    await expect(c.realtime.read(key, { meters: [DEMO_METER_ID] })).resolves.toEqual(
      clean.filter((r) => r.meter === DEMO_METER_ID).slice(-1),
    );
    expect(c.http.stats().retries).toBe(1);
  });

  it('adds latency to every response', async () => {
    cloud.setFaults({ latencyMs: 120 });
    const c = clients();
    const t = Date.now();
    await c.account.gateways(key);
    expect(Date.now() - t).toBeGreaterThanOrEqual(115);
  });

  it('sorts reads delivered out of order', async () => {
    cloud.setFaults({ rateOutOfOrder: 1 });
    const c = clients();
    const raw = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=350000900&cnt=50`).then(
      (r) => r.json() as Promise<{ readMeter: { ReadSet: { ReadData: { Time_Stamp_UTC_ms: number }[] }[] } }>,
    );
    const times = raw.readMeter.ReadSet[0]!.ReadData.map((r) => r.Time_Stamp_UTC_ms);
    expect(times).not.toEqual([...times].sort((a, b) => a - b));
    await expect(c.realtime.read(key, q)).resolves.toEqual(clean);
  });

  it('drops reads repeated across polls (at or before since, or duplicated)', async () => {
    const first = await clients().realtime.read(key, { meters: METERS, cnt: 5 });
    const since = Math.max(...first.map((r) => r.timeMs));
    clock.advance(3 * 60_000);
    cloud.setFaults({ rateRepeat: 1 });
    const next = await clients().realtime.read(key, { meters: METERS, cnt: 1000, sinceMs: since });
    expect(next.every((r) => r.timeMs > since)).toBe(true);
    const keys = next.map((r) => `${r.meter}@${r.timeMs}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(cloud.stats().faults.repeat).toBeGreaterThan(0);
    const noSince = await clients().realtime.read(key, q);
    expect(new Set(noSince.map((r) => `${r.meter}@${r.timeMs}`)).size).toBe(noSince.length);
  });

  it('survives a seeded mix of faults with the same result, reproducibly', async () => {
    const run = async () => {
      cloud.setFaults({
        seed: 42,
        rate429: 0.15,
        rate5xx: 0.15,
        rateReset: 0.1,
        rateTruncate: 0.1,
        rateOutOfOrder: 0.5,
        rateRepeat: 0.5,
      });
      const c = clients({ maxRetries: 8 });
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await c.realtime.read(key, q));
      return { results, faults: cloud.stats().faults };
    };
    const a = await run();
    const b = await run();
    for (const r of a.results) expect(r).toEqual(clean);
    expect(a.faults).toEqual(b.faults);
    expect(a.faults['429']! + a.faults['5xx']! + a.faults.reset! + a.faults.truncate!).toBeGreaterThan(0);
  });

  it('gives up with a typed, redacted EkmHttpError when faults persist', async () => {
    cloud.setFaults({ rate5xx: 1 });
    const c = clients({ maxRetries: 2 });
    const error = await c.realtime.read(key, { meters: [DEMO_METER_ID] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EkmHttpError);
    expect(error).toMatchObject({ status: 503, attempts: 3, endpoint: 'realtime' });
    expect((error as Error).message).not.toContain(DEMO_ACCOUNT_KEY);
  });
});

describe('a malformed read in a response', () => {
  it('comes back as a rejection from readWithRejections while read() stays strict and redacted', async () => {
    // A loopback server answering like EKM with one malformed read among good ones (and the meters
    // out of request order, which the client restores).
    const body = JSON.stringify({
      readMeter: {
        ReadSet: [
          {
            Meter: '350000901',
            Protocol: 'v4',
            ReadData: [{ Good: 1, Time_Stamp_UTC_ms: 1773165600000, kWh_Tot: '7' }],
          },
          {
            Meter: '350000900',
            Protocol: 'v4',
            ReadData: [
              { Good: 1, Time_Stamp_UTC_ms: 1773165600000, kWh_Tot: '10.1' },
              { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '12a.4' },
              { Good: 1, Time_Stamp_UTC_ms: 1773165720000, kWh_Tot: '10.5' },
            ],
          },
        ],
      },
    });
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(body);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const h = new UndiciHttpClient({ maxRetries: 0 });
      opened.push(h);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const realtime = new EkmRealtimeClient(h, { baseUrl: url });
      const meters = [DEMO_METER_ID, '000350000901'];
      const { readings, rejected } = await realtime.readWithRejections(key, { meters, cnt: 3 });
      expect(readings.map((r) => [r.meter, r.fields.kWh_Tot])).toEqual([
        [DEMO_METER_ID, 10.1],
        [DEMO_METER_ID, 10.5],
        ['000350000901', 7],
      ]);
      expect(rejected).toEqual([
        {
          meter: DEMO_METER_ID,
          timeMs: 1773165660000,
          reason: `meter ${DEMO_METER_ID}: field kWh_Tot should be a decimal number, got "12a.4"`,
          raw: { Good: 1, Time_Stamp_UTC_ms: 1773165660000, kWh_Tot: '12a.4' },
        },
      ]);
      const error = await realtime.read(key, { meters: [DEMO_METER_ID], cnt: 3 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EkmResponseError);
      expect((error as Error).message).toContain('kWh_Tot');
      expect((error as Error).message).not.toContain(DEMO_ACCOUNT_KEY);
    } finally {
      server.close();
    }
  });
});

describe('bad input', () => {
  it.each([
    ['meters[0]', { meters: ['350000900'] }],
    ['meters', { meters: [] }],
    ['cnt', { meters: [DEMO_METER_ID], cnt: 0 }],
    ['cnt', { meters: [DEMO_METER_ID], cnt: 1001 }],
    ['fields', { meters: [DEMO_METER_ID], fields: ['kWh_Total'] }],
    ['tz', { meters: [DEMO_METER_ID], tz: 'Mars/Olympus' }],
    ['since', { meters: [DEMO_METER_ID], sinceMs: 10, untilMs: 5 }],
  ])('rejects realtime %s before any request', async (field, query) => {
    const c = clients();
    const error = await c.realtime.read(key, query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(c.http.stats().requests).toBe(0);
  });

  it.each([
    ['report', { report: 'day' }],
    ['start_date', { startMs: Date.UTC(2026, 2, 2), endMs: Date.UTC(2026, 2, 1) }],
    ['start_date', { startMs: Number.NaN }],
    ['fields', { fields: ['Bogus*'] }],
    ['timezone', { timezone: 'Nowhere/Land' }],
  ])('rejects summary %s before any request', async (field, patch) => {
    const c = clients();
    const query = {
      meters: [DEMO_METER_ID],
      report: 'dy',
      startMs: Date.UTC(2026, 2, 1),
      endMs: Date.UTC(2026, 2, 2),
      ...patch,
    };
    const error = await c.summary.read(key, query as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(c.http.stats().requests).toBe(0);
  });

  it.each([
    ['readMeter?meters=350000900', 400, 1103],
    [`readMeter?key=${DEMO_ACCOUNT_KEY}&cnt=abc`, 400, 1102],
    [`readMeter?key=${DEMO_ACCOUNT_KEY}&fields=Nope`, 400, 1103],
    [`readMeter?key=${DEMO_ACCOUNT_KEY}&fmt=xml`, 400, 1101],
    [`readMeter?key=${DEMO_ACCOUNT_KEY}&meters=12ab`, 400, 1102],
    [`summary?key=${DEMO_ACCOUNT_KEY}&meters=350000900&report=dy&start_date=2026-03-01`, 400, 1102],
    [`summary?key=${DEMO_ACCOUNT_KEY}&meters=350000900&report=year`, 400, 1102],
    [`summary?key=${DEMO_ACCOUNT_KEY}&report=dy`, 400, 1103],
  ])('the fake answers %s with HTTP %i and EKM status %i', async (path, status, code) => {
    const res = await fetch(`${cloud.url}/${path}`);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(code);
  });

  it('answers an unknown key with 401 and the client never echoes it', async () => {
    const c = clients();
    const secret = 'Tm90QUtleTo5OTk5';
    const error = await c.realtime
      .read({ alias: 'wrong', key: secret }, { meters: [DEMO_METER_ID] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: 'EKM_HTTP' });
    expect((error as Error).message).not.toContain(secret);
  });

  it('redacts the key EKM echoes in a 1200 message', async () => {
    const c = clients();
    const error = await c.realtime.read(key, { meters: ['000999999999'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EkmApiError);
    expect(error).toMatchObject({ ekmStatus: 1200, meters: ['000999999999'], endpoint: 'realtime' });
    expect((error as Error).message).toContain('***');
    expect((error as Error).message).not.toContain(DEMO_ACCOUNT_KEY);
  });

  it('understands the legacy text errors of the summary API', async () => {
    const legacy = await startFakeCloud({ account, clock, seed: 7, behaviour: { errorStyle: 'legacy-text' } });
    try {
      const res = await fetch(`${legacy.url}/summary?key=${DEMO_ACCOUNT_KEY}&meters=999&report=dy`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^Error/);
      const c = new EkmSummaryClient(clients().http, { baseUrl: legacy.url });
      const error = await c
        .read(key, { meters: ['000000000999'], report: 'dy', startMs: NOW - 86_400_000, endMs: NOW })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EkmApiError);
      expect((error as Error).message).not.toContain(DEMO_ACCOUNT_KEY);
    } finally {
      await legacy.close();
    }
  });

  it('does not crash on a non-JSON request body or an unknown path', async () => {
    const res = await fetch(`${cloud.url}/readMeter?key=${DEMO_ACCOUNT_KEY}&meters=350000900`, {
      method: 'POST',
      body: '{not json',
    });
    expect(res.status).toBe(200);
    const missing = await fetch(`${cloud.url}/nope`);
    expect(missing.status).toBe(404);
  });
});
