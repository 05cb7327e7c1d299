import { parseReadResponseWithRejections } from '../../functions/core/ekm/realtime';
import { toApiSerial } from '../../functions/core/readings/meter-id';
import type { Reading } from '../../functions/core/readings/reading';
import type {
  AccountApi,
  AccountMeter,
  EkmKey,
  ParsedReadResponse,
  RealtimeApi,
  RealtimeQuery,
  SummaryApi,
  SummaryBucket,
  SummaryQuery,
} from '../../functions/ports/ekm-api';

/**
 * A hand-written EKM fake for use-case tests: one read per meter per minute, a ring of the newest
 * `ringSize` reads (as EKM's Realtime API), 15-minute summaries computed from the full series.
 * `series(meter, from, to)` is the truth tests compare the lake against.
 */
export class RingEkmApi implements AccountApi, RealtimeApi, SummaryApi {
  realtimeCalls: RealtimeQuery[] = [];
  summaryCalls: SummaryQuery[] = [];
  /** Extra raw readings to inject into the next realtime response (malformed input tests). */
  inject: Reading[] = [];
  /** Raw EKM reads (JSON objects as EKM sends them) added to every realtime response for their meter. */
  injectRaw: { meter: string; read: Record<string, unknown> }[] = [];
  constructor(
    readonly meterList: readonly AccountMeter[],
    readonly now: () => number,
    readonly startMs: number,
    readonly ringSize = 1000,
  ) {}

  /** Read time of minute `i` of a meter (a few seconds after the minute, per meter). */
  timeOf(meter: string, i: number): number {
    return this.startMs + i * 60_000 + (Number(meter.slice(-2)) % 50) * 100;
  }

  readingAt(meter: string, i: number, via: string): Reading {
    const good = i % 97 !== 13;
    return {
      meter,
      timeMs: this.timeOf(meter, i),
      good,
      protocol: this.meterList.find((m) => m.meter === meter)?.protocol === 'v3' ? 'v3' : 'v4',
      source: 'realtime',
      via,
      fields: good
        ? { kWh_Tot: 1000 + i * 0.25, RMS_Volts_Ln_1: '120.5', State_Watts_Dir: '1' }
        : { 'PERR.NR': '26950' },
    };
  }

  /** Every read of a meter with time in [from, to]. */
  series(meter: string, fromMs: number, toMs: number, via = 'demo'): Reading[] {
    const out: Reading[] = [];
    for (let i = 0; ; i++) {
      const t = this.timeOf(meter, i);
      if (t > toMs) break;
      if (t >= fromMs) out.push(this.readingAt(meter, i, via));
    }
    return out;
  }

  async meters(_key: EkmKey): Promise<AccountMeter[]> {
    return [...this.meterList];
  }
  async gateways() {
    return [];
  }

  async read(key: EkmKey, query: RealtimeQuery): Promise<Reading[]>;
  async read(key: EkmKey, query: SummaryQuery): Promise<SummaryBucket[]>;
  async read(key: EkmKey, query: RealtimeQuery | SummaryQuery): Promise<Reading[] | SummaryBucket[]> {
    if ('report' in query) return this.summary(key, query);
    this.realtimeCalls.push(query);
    const out: Reading[] = [];
    for (const meter of query.meters) {
      const all = this.series(meter, this.startMs, this.now(), key.alias);
      const ring = all.slice(-this.ringSize);
      const cnt = query.cnt ?? 1;
      out.push(...ring.filter((r) => query.sinceMs === undefined || r.timeMs > query.sinceMs).slice(-cnt));
    }
    out.push(...this.inject.splice(0));
    return out;
  }

  /**
   * The realtime reads as EKM would send them (one `/readMeter` JSON body, `injectRaw` added to
   * their meters' ReadData), parsed by the production parser, which refuses malformed reads.
   */
  async readWithRejections(key: EkmKey, query: RealtimeQuery): Promise<ParsedReadResponse> {
    const sets = new Map<string, Record<string, unknown>[]>();
    const add = (meter: string, read: Record<string, unknown>) => {
      const list = sets.get(meter);
      if (list) list.push(read);
      else sets.set(meter, [read]);
    };
    for (const r of await this.read(key, query))
      add(r.meter, { Good: r.good ? 1 : 0, Time_Stamp_UTC_ms: r.timeMs, ...r.fields });
    for (const x of this.injectRaw) if (query.meters.includes(x.meter)) add(x.meter, x.read);
    const body = JSON.stringify({
      readMeter: {
        ReadSet: [...sets].map(([meter, data]) => ({
          Meter: toApiSerial(meter),
          Protocol: this.meterList.find((m) => m.meter === meter)?.protocol ?? 'v4',
          ReadData: data,
        })),
      },
    });
    return parseReadResponseWithRejections(body, {
      via: key.alias,
      ...(query.sinceMs !== undefined ? { sinceMs: query.sinceMs } : {}),
    });
  }

  private summary(key: EkmKey, query: SummaryQuery): SummaryBucket[] {
    this.summaryCalls.push(query);
    const out: SummaryBucket[] = [];
    for (const meter of query.meters) {
      for (let s = query.startMs; s < query.endMs && s + 900_000 <= this.now(); s += 900_000) {
        const reads = this.series(meter, s, s + 900_000 - 1, key.alias).filter((r) => r.good);
        if (reads.length === 0) continue;
        const kwh = reads.map((r) => Number(r.fields.kWh_Tot));
        out.push({
          meter,
          startMs: s,
          endMs: s + 900_000,
          report: '15',
          values: {
            kWh_Tot_First: kwh[0]!,
            kWh_Tot_Last: kwh.at(-1)!,
            kWh_Tot_Diff: kwh.at(-1)! - kwh[0]!,
            RMS_Volts_Ln_1_Average: 120.5,
            Count: reads.length,
          },
        });
      }
    }
    return out;
  }
}
