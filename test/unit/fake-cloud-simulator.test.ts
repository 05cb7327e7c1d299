import { FaultInjector, parseFaultConfig } from '../../local/ekm-cloud/faults';
import type { FakeMeter } from '../../local/ekm-cloud/identities';
import { bucketBounds, simulateReads, summarizeReads } from '../../local/ekm-cloud/simulator';

const v4: FakeMeter = { id: '000350000901', protocol: 'v4', relays: [], solar: true };
const v3: FakeMeter = { id: '000000010068', protocol: 'v3', relays: [] };
const T0 = Date.UTC(2026, 2, 1);
const opts = { seed: 3, historyStartMs: T0 - 10 * 86_400_000 };

describe('simulator', () => {
  it('is deterministic and gives one read per minute with since/until semantics', () => {
    const a = simulateReads(v4, T0, T0 + 3_600_000, opts);
    const b = simulateReads(v4, T0, T0 + 3_600_000, opts);
    expect(a).toEqual(b);
    expect(a).toHaveLength(60);
    expect(a.every((r) => r.timeMs > T0 && r.timeMs <= T0 + 3_600_000)).toBe(true);
    expect(simulateReads(v4, T0, T0 + 3_600_000, { ...opts, seed: 4 })).not.toEqual(a);
  });

  it('starts at the history start and never before', () => {
    expect(
      simulateReads(v3, opts.historyStartMs - 3_600_000, opts.historyStartMs + 120_000, opts).length,
    ).toBeLessThanOrEqual(2);
  });

  it('keeps counters monotonic and tariffs summing to the total over a day', () => {
    for (const meter of [v4, v3]) {
      const reads = simulateReads(meter, T0, T0 + 86_400_000, { ...opts, badReadRate: 0 });
      for (let i = 1; i < reads.length; i++) {
        const p = reads[i - 1]!.values;
        const c = reads[i]!.values;
        for (const f of ['kWh_Tot', 'Rev_kWh_Tot', 'kWh_Tariff_1', 'kWh_Tariff_4', 'Pulse_Cnt_1']) {
          expect(c[f] as number).toBeGreaterThanOrEqual(p[f] as number);
        }
        const sum = [1, 2, 3, 4].reduce((s, k) => s + (c[`kWh_Tariff_${k}`] as number), 0);
        expect(c.kWh_Tot as number).toBeCloseTo(sum, 6);
      }
    }
  });

  it('makes solar meters export by day (Rev_kWh grows, line 3 reversed)', () => {
    const day = simulateReads(v4, T0 + 11 * 3_600_000, T0 + 13 * 3_600_000, { ...opts, badReadRate: 0 });
    expect((day.at(-1)!.values.Rev_kWh_Tot as number) - (day[0]!.values.Rev_kWh_Tot as number)).toBeGreaterThan(1);
    expect(day[0]!.values.State_Watts_Dir).toBe(2);
    expect(day[0]!.values.Net_Calc_Watts_Ln_3 as number).toBeLessThan(0);
  });

  it('fails reads at the configured rate, deterministically (0 allowed)', () => {
    const week = simulateReads(v3, T0, T0 + 7 * 86_400_000, { ...opts, badReadRate: 0.01 });
    const bad = week.filter((r) => !r.good).length;
    expect(bad / week.length).toBeGreaterThan(0.005);
    expect(bad / week.length).toBeLessThan(0.015);
    expect(simulateReads(v3, T0, T0 + 86_400_000, { ...opts, badReadRate: 0 }).every((r) => r.good)).toBe(true);
  });

  it("summarises buckets so Diff is last-first of the bucket's good reads", () => {
    const reads = simulateReads(v4, T0 - 1, T0 + 86_400_000 - 1, opts);
    const [day] = summarizeReads(reads, bucketBounds('dy', T0, T0 + 86_400_000, 'UTC'));
    const good = reads.filter((r) => r.good);
    expect(day!.count).toBe(good.length);
    expect(day!.values.kWh_Tot_Diff).toBeCloseTo(
      (good.at(-1)!.values.kWh_Tot as number) - (good[0]!.values.kWh_Tot as number),
      6,
    );
    const hours = summarizeReads(reads, bucketBounds('hr', T0, T0 + 86_400_000, 'UTC'));
    expect(hours).toHaveLength(24);
  });

  it('lays buckets on local days, Sunday weeks and months', () => {
    expect(bucketBounds('dy', Date.UTC(2026, 2, 8, 12), Date.UTC(2026, 2, 9, 12), 'America/New_York')).toEqual([
      [Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 9, 4)],
      [Date.UTC(2026, 2, 9, 4), Date.UTC(2026, 2, 10, 4)],
    ]);
    expect(bucketBounds('wk', Date.UTC(2026, 2, 4), Date.UTC(2026, 2, 5), 'UTC')).toEqual([
      [Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 8)],
    ]);
    expect(bucketBounds('mo', Date.UTC(2026, 1, 10), Date.UTC(2026, 2, 10), 'UTC')).toEqual([
      [Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)],
      [Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1)],
    ]);
  });
});

describe('faults', () => {
  it('validates configs with the field name', () => {
    expect(() => parseFaultConfig({ rate429: 2 }, 'f.json')).toThrow('f.json: rate429');
    expect(() => parseFaultConfig({ rate5xx: 0.6, rateReset: 0.6 }, 'f.json')).toThrow('must be ≤ 1');
    expect(() => parseFaultConfig({ typo: 1 }, 'f.json')).toThrow('unknown fault setting');
    expect(() => parseFaultConfig({ sequence: ['boom'] }, 'f.json')).toThrow('sequence');
  });

  it('injects at the configured rate, reproducibly, after the scripted sequence', () => {
    const pick = () => {
      const f = new FaultInjector({ seed: 9, sequence: ['reset', 'none'], rate429: 0.2, paths: ['/readMeter'] });
      return Array.from({ length: 1000 }, () => f.pick('/readMeter'));
    };
    const a = pick();
    expect(a).toEqual(pick());
    expect(a.slice(0, 2)).toEqual(['reset', 'none']);
    const share = a.filter((x) => x === '429').length / 1000;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
    expect(new FaultInjector({ rate5xx: 1, paths: ['/summary'] }).pick('/readMeter')).toBe('none');
  });
});
