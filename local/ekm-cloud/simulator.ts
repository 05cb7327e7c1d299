import { localParts, zonedToUtc } from '../../functions/core/ekm/ekm-time';
import { summaryBaseFields } from '../../functions/core/ekm/field-catalog';
import type { SummaryReport } from '../../functions/ports/ekm-api';
import type { FakeMeter } from './identities';

/**
 * The local EKM cloud's meter simulator: a pure function of (meter, seed, minute). No state, no
 * clock: the server decides which minutes exist (history start .. now) and asks for them.
 *
 * Physics (all closed form, so any minute costs the same and ranges need no replay):
 * - load power in kW is a daily-periodic sum of harmonics whose periods divide 24 h
 *   (P = Pavg·(1 + a1·cos(2πx/1440+φ1) + a2·cos(2πx/480+φ2) + a3·cos(2πx/90+φ3)), a1+a2+a3 < 1),
 *   so it is always positive and its integral is exact: kWh counters strictly follow the power;
 * - solar meters export S = Speak·sin(π(x−360)/720) between 06:00 and 18:00 UTC; the exported share
 *   grows `Rev_kWh_*`; `kWh_Tot` = forward + reverse (EKM's definition);
 * - four TOU tariffs (00–07, 07–12, 12–18, 18–24 UTC); each register is floored to the meter's
 *   precision and `kWh_Tot` is their exact sum, so the tariff registers always add up;
 * - per line: W_i = P·share_i, V_i ≈ 120 V with noise, PF_i 0.88–0.98 lagging, A_i = W_i/(V_i·PF_i);
 *   `RMS_Watts_Tot` is the sum of the rounded line watts;
 * - pulse meters count water pulses proportional to energy and gas pulses linear in time.
 * Failed reads (`Good: 0`, only `PERR.NR` present) happen at `badReadRate` (default 0.005, i.e.
 * 1 in 200 reads; 0 allowed), decided by a hash of (seed, meter, minute).
 */
export interface SimOptions {
  readonly seed: number;
  /** Share of failed reads, 0..1 (default {@link DEFAULT_BAD_READ_RATE}). */
  readonly badReadRate?: number;
  /** The meter's first read (UTC ms); counters start from their base value here. */
  readonly historyStartMs: number;
}

export const DEFAULT_BAD_READ_RATE = 0.005;
export const MINUTE_MS = 60_000;
const DAY_MIN = 1440;

/** One simulated read: numbers already rounded to the meter's wire precision; text fields as EKM writes them. */
export interface SimRead {
  readonly meter: string;
  readonly timeMs: number;
  readonly good: boolean;
  readonly protocol: 'v3' | 'v4';
  readonly values: Readonly<Record<string, number | string>>;
}

// --- deterministic hashing -------------------------------------------------------------------

function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) from integer inputs. */
export function hashUnit(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = mix32(h ^ mix32(p | 0) ^ mix32(Math.floor(p / 2 ** 32)));
  }
  return h / 2 ** 32;
}

// --- per-meter profile -----------------------------------------------------------------------

interface Profile {
  readonly num: number;
  readonly pAvg: number;
  readonly a: readonly [number, number, number];
  readonly phi: readonly [number, number, number];
  readonly shares: readonly [number, number, number];
  readonly base: readonly [number, number, number, number];
  readonly solarPeak: number;
  readonly volts: number;
  readonly gatewayJitterMs: number;
}

const PERIODS = [1440, 480, 90] as const;
const TARIFF_WINDOWS: readonly (readonly [number, number])[] = [
  [0, 420],
  [420, 720],
  [720, 1080],
  [1080, 1440],
];
/** Share of solar production exported through the meter. */
const EXPORT_SHARE = 0.45;

const profiles = new Map<string, Profile>();

function profile(meter: FakeMeter, seed: number): Profile {
  const cacheKey = `${seed}:${meter.id}:${meter.solar ? 1 : 0}`;
  const cached = profiles.get(cacheKey);
  if (cached) return cached;
  const num = Number(meter.id);
  const u = (salt: number) => hashUnit(seed, num, -1, salt);
  const s1 = 0.3 + 0.15 * u(7);
  const s2 = 0.3 + 0.1 * u(8);
  const p: Profile = {
    num,
    pAvg: 0.8 + 4 * u(1),
    a: [0.35 + 0.2 * u(2), 0.1 + 0.1 * u(3), 0.05 + 0.05 * u(4)],
    phi: [2 * Math.PI * u(5), 2 * Math.PI * u(6), 2 * Math.PI * u(9)],
    shares: [s1, s2, 1 - s1 - s2],
    base: [0, 1, 2, 3].map((k) => Math.floor(500 + 20000 * u(10 + k))) as unknown as [number, number, number, number],
    solarPeak: meter.solar ? 3 + 4 * u(14) : 0,
    volts: 118 + 5 * u(15),
    gatewayJitterMs: Math.floor(1000 * u(16)),
  };
  if (profiles.size > 50_000) profiles.clear();
  profiles.set(cacheKey, p);
  return p;
}

/** Load power (kW) at minute-of-day x. */
function loadKw(p: Profile, x: number): number {
  let f = 1;
  for (let i = 0; i < 3; i++) f += p.a[i]! * Math.cos((2 * Math.PI * x) / PERIODS[i]! + p.phi[i]!);
  return p.pAvg * f;
}

/** ∫ load dx over [0, x] minutes, in kWh. */
function loadKwhWithin(p: Profile, x: number): number {
  let s = x;
  for (let i = 0; i < 3; i++) {
    const w = (2 * Math.PI) / PERIODS[i]!;
    s += (p.a[i]! / w) * (Math.sin(w * x + p.phi[i]!) - Math.sin(p.phi[i]!));
  }
  return (p.pAvg * s) / 60;
}

/** Exported solar power (kW) at minute-of-day x. */
function exportKw(p: Profile, x: number): number {
  if (p.solarPeak === 0 || x <= 360 || x >= 1080) return 0;
  return EXPORT_SHARE * p.solarPeak * Math.sin((Math.PI * (x - 360)) / 720);
}

/** ∫ export dx over [0, x] minutes, in kWh. */
function exportKwhWithin(p: Profile, x: number): number {
  if (p.solarPeak === 0 || x <= 360) return 0;
  const c = Math.min(x, 1080);
  return ((EXPORT_SHARE * p.solarPeak) / 60) * (720 / Math.PI) * (1 - Math.cos((Math.PI * (c - 360)) / 720));
}

type Within = (p: Profile, x: number) => number;

/** Cumulative energy of `fn` restricted to tariff window [a, b) from the epoch to minute t. */
function cumulative(p: Profile, fn: Within, t: number, a = 0, b = DAY_MIN): number {
  const day = Math.floor(t / DAY_MIN);
  const x = t - day * DAY_MIN;
  const perDay = fn(p, b) - fn(p, a);
  return day * perDay + (fn(p, Math.min(Math.max(x, a), b)) - fn(p, a));
}

const baselines = new Map<string, { fwd: number[]; rev: number[] }>();

/** Cumulative energy per tariff at the history start (the zero point of the counters), cached. */
function baseline(p: Profile, startMin: number): { fwd: number[]; rev: number[] } {
  const cacheKey = `${p.num}:${p.pAvg}:${startMin}`;
  let b = baselines.get(cacheKey);
  if (!b) {
    b = {
      fwd: TARIFF_WINDOWS.map(([a, e]) => cumulative(p, loadKwhWithin, startMin, a, e)),
      rev: TARIFF_WINDOWS.map(([a, e]) => cumulative(p, exportKwhWithin, startMin, a, e)),
    };
    if (baselines.size > 50_000) baselines.clear();
    baselines.set(cacheKey, b);
  }
  return b;
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
const pad2 = (n: number) => String(n).padStart(2, '0');

function meterTime(ms: number): string {
  // yyMMddWWhhmmss, WW = weekday with Sunday = 00 (our choice; real meters write Sunday = 01,
  // docs/ekm-push-apis.md §2.5); the simulated meter clock runs on UTC.
  const d = new Date(ms);
  return `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCDay())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

/** The read time of minute `m` for a meter (the gateway reads at a fixed sub-minute offset). */
export function readTimeMs(meter: FakeMeter, seed: number, minute: number): number {
  return minute * MINUTE_MS + profile(meter, seed).gatewayJitterMs;
}

/** The one read of `meter` in epoch minute `minute`. */
export function simulateRead(meter: FakeMeter, minute: number, opts: SimOptions): SimRead {
  const p = profile(meter, opts.seed);
  const timeMs = minute * MINUTE_MS + p.gatewayJitterMs;
  const badRate = opts.badReadRate ?? DEFAULT_BAD_READ_RATE;
  if (badRate > 0 && hashUnit(opts.seed, p.num, minute, 99) < badRate) {
    return {
      meter: meter.id,
      timeMs,
      good: false,
      protocol: meter.protocol,
      values: { 'PERR.NR': 26950 + Math.floor(100 * hashUnit(opts.seed, p.num, minute, 98)) },
    };
  }
  const v4 = meter.protocol === 'v4';
  // v3 kWh registers have 0.1 kWh precision, v4 (kWh_Scale 2) 0.01 kWh.
  const scale = v4 ? 100 : 10;
  const startMin = Math.floor(opts.historyStartMs / MINUTE_MS);
  const x = minute - Math.floor(minute / DAY_MIN) * DAY_MIN;
  const tariffUnits: number[] = [];
  const revUnits: number[] = [];
  const origin = baseline(p, startMin);
  for (let k = 0; k < 4; k++) {
    const [a, b] = TARIFF_WINDOWS[k]!;
    const fwd = cumulative(p, loadKwhWithin, minute, a, b) - origin.fwd[k]!;
    const rev = p.solarPeak > 0 ? cumulative(p, exportKwhWithin, minute, a, b) - origin.rev[k]! : 0;
    tariffUnits.push(Math.floor((p.base[k]! + fwd + rev) * scale));
    revUnits.push(Math.floor((p.solarPeak > 0 ? p.base[k]! / 10 : 0) * scale + rev * scale));
  }
  const totUnits = tariffUnits.reduce((s, u) => s + u, 0);
  const revTotUnits = revUnits.reduce((s, u) => s + u, 0);
  const values: Record<string, number | string> = {
    Good_Reads_Ratio: 100,
    Read_Attempts: 1,
    Meter_Time: meterTime(timeMs),
    Firmware: v4 ? '28' : '15',
    Model: v4 ? '1024' : '1017',
    kWh_Tot: totUnits / scale,
  };
  tariffUnits.forEach((u, k) => {
    values[`kWh_Tariff_${k + 1}`] = u / scale;
  });
  values.Rev_kWh_Tot = revTotUnits / scale;
  revUnits.forEach((u, k) => {
    values[`Rev_kWh_Tariff_${k + 1}`] = u / scale;
  });

  const loadW = loadKw(p, x) * 1000;
  const exportW = exportKw(p, x) * 1000;
  let totW = 0;
  let netW = 0;
  let reactive = 0;
  for (let i = 0; i < 3; i++) {
    const volts = round(
      p.volts + 1.5 * Math.sin((2 * Math.PI * x) / 1440 + i) + (hashUnit(opts.seed, p.num, minute, 20 + i) - 0.5),
      1,
    );
    const pf = round(0.88 + 0.1 * hashUnit(opts.seed, p.num, minute, 30 + i), 2);
    // Line 3 carries the solar inverter on solar meters: while exporting it runs in reverse.
    const reverse = i === 2 && exportW > 0;
    const watts = Math.round(reverse ? exportW : loadW * p.shares[i]!);
    const amps = round(watts / (volts * pf), 1);
    const var_ = Math.round(watts * Math.tan(Math.acos(pf)));
    totW += watts;
    netW += reverse ? -watts : watts;
    reactive += var_;
    values[`RMS_Volts_Ln_${i + 1}`] = volts;
    values[`Amps_Ln_${i + 1}`] = amps;
    values[`RMS_Watts_Ln_${i + 1}`] = watts;
    values[`Power_Factor_Ln_${i + 1}`] = Math.round(pf * 100);
    values[`Cos_Theta_Ln_${i + 1}`] = `${pf.toFixed(2)} L`;
    if (v4) {
      values[`Net_Calc_Watts_Ln_${i + 1}`] = reverse ? -watts : watts;
      values[`Reactive_Pwr_Ln_${i + 1}`] = var_;
      values[`kWh_Ln_${i + 1}`] = Math.floor((totUnits - revTotUnits) * p.shares[i]!) / scale;
      values[`Rev_kWh_Ln_${i + 1}`] = i === 2 ? revTotUnits / scale : 0;
    }
  }
  values.RMS_Watts_Tot = totW;
  values.RMS_Watts_Max_Demand = Math.round(p.pAvg * (1 + p.a[0] + p.a[1] + p.a[2]) * 1000);
  values.Max_Demand_Period = 1;
  values.CT_Ratio = 200;
  const pulses = meter.pulses === true;
  const elapsedMin = Math.max(0, minute - startMin);
  values.Pulse_Cnt_1 = pulses ? Math.floor((totUnits / scale - p.base.reduce((s, b) => s + b, 0)) * 3.7) : 0;
  values.Pulse_Cnt_2 = pulses ? Math.floor(elapsedMin * 0.25) : 0;
  values.Pulse_Cnt_3 = 0;
  values.Pulse_Ratio_1 = 1;
  values.Pulse_Ratio_2 = 1;
  values.Pulse_Ratio_3 = 1;
  values.State_Inputs = 0;
  if (v4) {
    values.Reactive_Energy_Tot = Math.floor(totUnits * 0.3) / scale;
    values.kWh_Rst = totUnits / scale;
    values.Rev_kWh_Rst = revTotUnits / scale;
    values.Reactive_Pwr_Tot = reactive;
    values.Line_Freq = round(60 + 0.04 * (hashUnit(opts.seed, p.num, minute, 40) - 0.5), 2);
    values.State_Watts_Dir = exportW > 0 ? 2 : 1;
    values.State_Out = 1;
    values.kWh_Scale = 2;
    values.CF_Ratio = 800;
    values.Max_Demand_Rst = 0;
    values.Meter_Status_Code_A = 0;
    values.Meter_Status_Code_B = 0;
    values.Meter_Status_Code_C = 0;
    values.Net_Calc_Watts_Tot = netW;
  } else {
    values.Meter_Status_Code = 0;
  }
  return { meter: meter.id, timeMs, good: true, protocol: meter.protocol, values };
}

/**
 * The simulator's own series for a meter: every read with `fromMs < timeMs <= toMs` (the Realtime
 * API's `since`/`until` semantics), oldest first, never before `historyStartMs`. The lake's
 * exactly-once tests compare against this.
 */
export function simulateReads(meter: FakeMeter, fromMs: number, toMs: number, opts: SimOptions): SimRead[] {
  const jitter = profile(meter, opts.seed).gatewayJitterMs;
  const lo = Math.max(
    Math.floor((fromMs - jitter) / MINUTE_MS) + 1,
    Math.ceil((opts.historyStartMs - jitter) / MINUTE_MS),
  );
  const hi = Math.floor((toMs - jitter) / MINUTE_MS);
  const out: SimRead[] = [];
  for (let m = lo; m <= hi; m++) out.push(simulateRead(meter, m, opts));
  return out;
}

// --- summaries -------------------------------------------------------------------------------

/** One summary record as the local EKM cloud serves it (values are numbers). */
export interface SimBucket {
  readonly meter: string;
  readonly protocol: 'v3' | 'v4';
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
  readonly values: Readonly<Record<string, number>>;
}

/**
 * Bucket boundaries covering [startMs, endMs): 15-minute and hourly buckets on the UTC grid
 * (whole-hour zones), days at local midnight in `tz`, weeks from local Sunday midnight, months
 * from the local 1st; `range` is one bucket for the whole span.
 */
export function bucketBounds(report: SummaryReport, startMs: number, endMs: number, tz: string): [number, number][] {
  if (report === 'range') return startMs < endMs ? [[startMs, endMs]] : [];
  const out: [number, number][] = [];
  let cur = floorToBucket(report, startMs, tz);
  while (cur < endMs && out.length < 100_000) {
    const next = nextBucket(report, cur, tz);
    out.push([cur, next]);
    cur = next;
  }
  return out;
}

function floorToBucket(report: Exclude<SummaryReport, 'range'>, ms: number, tz: string): number {
  if (report === '15') return Math.floor(ms / 900_000) * 900_000;
  if (report === 'hr') return Math.floor(ms / 3_600_000) * 3_600_000;
  const p = localParts(ms, tz);
  if (report === 'dy') return zonedToUtc(p.year, p.month, p.day, 0, 0, tz);
  if (report === 'wk') {
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day - p.weekday));
    return zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, 0, tz);
  }
  return zonedToUtc(p.year, p.month, 1, 0, 0, tz);
}

function nextBucket(report: Exclude<SummaryReport, 'range'>, startMs: number, tz: string): number {
  if (report === '15') return startMs + 900_000;
  if (report === 'hr') return startMs + 3_600_000;
  // Probe well inside the next local day/week/month, then floor: DST-proof.
  if (report === 'dy') return floorToBucket('dy', startMs + 30 * 3_600_000, tz);
  if (report === 'wk') return floorToBucket('wk', startMs + 8 * 86_400_000 - 6 * 3_600_000, tz);
  const p = localParts(startMs + 12 * 3_600_000, tz);
  const y = p.month === 12 ? p.year + 1 : p.year;
  const m = p.month === 12 ? 1 : p.month + 1;
  return zonedToUtc(y, m, 1, 0, 0, tz);
}

/**
 * Aggregate good reads with `start <= timeMs < end` into EKM summary fields: counters get
 * First/Last/Diff(=Last−First)/Min/Max/DeltaMax, gauges Average/StdDev/Min/Max. Buckets without a
 * good read are omitted.
 */
export function summarizeReads(reads: readonly SimRead[], bounds: readonly [number, number][]): SimBucket[] {
  const first = reads[0];
  if (!first) return [];
  const bases = summaryBaseFields(first.protocol);
  const out: SimBucket[] = [];
  let i = 0;
  for (const [start, end] of bounds) {
    while (i < reads.length && reads[i]!.timeMs < start) i++;
    const bucket: SimRead[] = [];
    while (i < reads.length && reads[i]!.timeMs < end) {
      const r = reads[i++]!;
      if (r.good) bucket.push(r);
    }
    if (bucket.length === 0) continue;
    const values: Record<string, number> = {};
    for (const f of bases) {
      const xs: number[] = [];
      for (const r of bucket) {
        const v = r.values[f.name];
        if (typeof v === 'number') xs.push(v);
      }
      if (xs.length === 0) continue;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let sum = 0;
      for (const v of xs) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      if (f.role === 'counter') {
        let deltaMax = 0;
        for (let k = 1; k < xs.length; k++) deltaMax = Math.max(deltaMax, xs[k]! - xs[k - 1]!);
        const firstV = xs[0]!;
        const lastV = xs[xs.length - 1]!;
        values[`${f.name}_First`] = firstV;
        values[`${f.name}_Last`] = lastV;
        values[`${f.name}_Diff`] = round(lastV - firstV, 3);
        values[`${f.name}_Min`] = min;
        values[`${f.name}_Max`] = max;
        values[`${f.name}_DeltaMax`] = round(deltaMax, 3);
      } else {
        const avg = sum / xs.length;
        let sq = 0;
        for (const v of xs) sq += (v - avg) ** 2;
        values[`${f.name}_Average`] = round(avg, 3);
        values[`${f.name}_StdDev`] = round(Math.sqrt(sq / xs.length), 3);
        values[`${f.name}_Min`] = min;
        values[`${f.name}_Max`] = max;
      }
    }
    out.push({
      meter: first.meter,
      protocol: first.protocol,
      startMs: start,
      endMs: end,
      count: bucket.length,
      values,
    });
  }
  return out;
}
