import { fromEkmTz, isValidTimeZone, localParts, tzOffsetMs } from '../../functions/core/ekm/ekm-time';
import { fieldSpec } from '../../functions/core/ekm/field-catalog';
import { toApiSerial } from '../../functions/core/readings/meter-id';
import { authenticate, type CloudState, canSee, ekmError, isResponse, splitList, visibleMeters } from './cloud-state';
import type { FakeRequest, FakeResponse, FakeRoute } from './fake-http';
import type { FakeGateway, FakeMeter } from './identities';
import { hashUnit, MINUTE_MS, readTimeMs, type SimRead, simulateRead } from './simulator';

/** The Realtime API keeps the latest 1000 reads per meter (docs/ekm-push-apis.md §2). */
export const RING_SIZE = 1000;

/** Path-style names (docs/ekm-push-apis.md §2.1) → query names. */
const PATH_ALIASES: Readonly<Record<string, string>> = {
  key: 'key',
  count: 'cnt',
  cnt: 'cnt',
  format: 'fmt',
  fmt: 'fmt',
  meters: 'meters',
  timezone: 'tz',
  tz: 'tz',
  fields: 'fields',
  since: 'since',
  until: 'until',
  status: 'status',
};

/** `/readMeter/v4/key/K/count/10/format/json/meters/M/` → query parameters (pair order free). */
export function pathStyleToQuery(path: string, query: URLSearchParams): URLSearchParams | FakeResponse {
  const parts = path.split('/').filter((p) => p !== '');
  const out = new URLSearchParams(query);
  const [, ver, ...pairs] = parts;
  if (ver) out.set('ver', ver);
  if (pairs.length % 2 !== 0)
    return ekmError(1100, `Invalid query: path segments must come in name/value pairs after /readMeter/${ver}`);
  for (let i = 0; i < pairs.length; i += 2) {
    const name = PATH_ALIASES[pairs[i]!];
    if (!name) return ekmError(1103, `Invalid parameter: ${pairs[i]}`);
    out.set(name, decodeURIComponent(pairs[i + 1]!));
  }
  return out;
}

const KWH_UNITS = new Set(['kWh', 'kVARh']);

const decimalsCache = new Map<string, number>();

/** Decimal places EKM-style strings carry per field (cached: this runs for every value served). */
function decimals(name: string, protocol: 'v3' | 'v4'): number {
  const cacheKey = `${protocol}${name}`;
  let d = decimalsCache.get(cacheKey);
  if (d === undefined) {
    d = computeDecimals(name, protocol);
    decimalsCache.set(cacheKey, d);
  }
  return d;
}

function computeDecimals(name: string, protocol: 'v3' | 'v4'): number {
  const spec = fieldSpec(name);
  if (spec?.unit && KWH_UNITS.has(spec.unit)) return protocol === 'v4' ? 2 : 1;
  if (spec?.unit === 'V' || spec?.unit === 'A') return 1;
  if (name === 'Line_Freq') return 2;
  return 0;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function utcParts(ms: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
} {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * One read on the wire. Choices (docs/ekm-push-apis.md §2.5, §7): `Good`, `Good_Reads_Ratio` and
 * `Time_Stamp_UTC_ms` are JSON numbers; every other value is a decimal string. `Date` is
 * `YYYY-MM-DD` and `Time` `HH:MM:SS.mmm`, both in `tz` (UTC by default).
 */
function wireRead(read: SimRead, tz: string, fields: ReadonlySet<string> | undefined): Record<string, unknown> {
  // UTC (the default) needs no Intl round trip.
  const p = tz === 'UTC' ? utcParts(read.timeMs) : localParts(read.timeMs, tz);
  const out: Record<string, unknown> = {
    Good: read.good ? 1 : 0,
    Date: `${p.year}-${pad(p.month)}-${pad(p.day)}`,
    Time: `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${pad(read.timeMs % 1000, 3)}`,
    Time_Stamp_UTC_ms: read.timeMs,
  };
  for (const [name, value] of Object.entries(read.values)) {
    if (fields && !fields.has(name)) continue;
    if (name === 'Good_Reads_Ratio') out[name] = value;
    else out[name] = typeof value === 'number' ? value.toFixed(decimals(name, read.protocol)) : value;
  }
  return out;
}

function intParam(query: URLSearchParams, name: string): number | undefined | FakeResponse {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) return ekmError(1102, `Invalid value: ${name}=${raw} (expected an integer)`);
  return Number(raw);
}

export function makeRealtimeRoute(state: CloudState): FakeRoute {
  return (req: FakeRequest) => {
    if (req.path !== '/readMeter' && !req.path.startsWith('/readMeter/')) return undefined;
    if (req.method !== 'GET' && req.method !== 'POST') return { status: 405, body: { error: 'Use GET' } };
    const query =
      req.path === '/readMeter' || req.path === '/readMeter/' ? req.query : pathStyleToQuery(req.path, req.query);
    if (isResponse(query)) return query;
    return readMeter(state, query);
  };
}

function readMeter(state: CloudState, query: URLSearchParams): FakeResponse {
  const key = authenticate(state, query);
  if (isResponse(key)) return key;
  const ver = query.get('ver');
  if (ver && ver !== 'v3' && ver !== 'v4') return ekmError(1102, `Invalid value: ver=${ver} (v3 or v4)`);
  const fmt = query.get('fmt') ?? query.get('format') ?? 'json';
  if (fmt !== 'json') return ekmError(1101, `Invalid format: ${fmt} (the local EKM cloud serves json only)`);
  const cntRaw = intParam(query, 'cnt');
  if (isResponse(cntRaw)) return cntRaw;
  if (cntRaw !== undefined && cntRaw < 1) return ekmError(1102, `Invalid value: cnt=${cntRaw} (1..1000)`);
  // Choice (docs/ekm-push-apis.md §7): cnt above 1000 is clamped, not rejected; the ring only holds 1000.
  const cnt = Math.min(cntRaw ?? 1, RING_SIZE);
  const since = intParam(query, 'since');
  if (isResponse(since)) return since;
  const until = intParam(query, 'until');
  if (isResponse(until)) return until;
  const tzRaw = query.get('tz') ?? query.get('timezone') ?? 'UTC';
  const tz = fromEkmTz(tzRaw);
  if (!isValidTimeZone(tz))
    return ekmError(1102, `Invalid value: tz=${tzRaw} (an IANA zone with ~ for /, e.g. America~New_York)`);
  const status = query.get('status');
  if (status && status !== 'good' && status !== 'all')
    return ekmError(1102, `Invalid value: status=${status} (good or all)`);
  const requestedFields = splitList(query.get('fields'));
  for (const f of requestedFields) {
    if (!fieldSpec(f)) return ekmError(1103, `Invalid parameter: fields contains unknown field ${f}`);
  }
  const fields = requestedFields.length > 0 ? new Set(requestedFields) : undefined;

  const serials = splitList(query.get('meters'));
  let entries: { meter: FakeMeter; gateway: FakeGateway }[];
  if (serials.length === 0) {
    // Choice (docs/ekm-push-apis.md §7): leaving `meters` out returns every meter of the key.
    entries = visibleMeters(state, key);
  } else {
    entries = [];
    for (const serial of serials) {
      if (!/^\d{1,12}$/.test(serial))
        return ekmError(1102, `Invalid value: meters contains ${serial} (meter serials are digits)`);
      const entry = state.meters.get(serial.padStart(12, '0'));
      // EKM's own message text for 1200 includes the key; clients must redact it.
      if (!entry || !canSee(key, entry)) return ekmError(1200, `Found invalid meter: ${serial} for key: ${key.key}`);
      entries.push(entry);
    }
  }

  const now = state.clock.now();
  const poll = state.faults.current.poll();
  const readSets = entries.map(({ meter, gateway }) => {
    let reads = ringReads(state, meter, now, since, until, cnt);
    if (poll.repeat && since !== undefined) {
      // Fault: resend the last read(s) the caller already has (at or before `since`).
      const again = ringReads(state, meter, now, undefined, since, 2);
      reads = [...again, ...reads];
    } else if (poll.repeat && reads.length > 0) {
      reads = [...reads, reads[reads.length - 1]!];
    }
    if (status === 'good') reads = reads.filter((r) => r.good);
    if (poll.shuffle) {
      reads = reads
        .map((r, i) => ({ r, k: hashUnit(poll.salt, i, Number(meter.id)) }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.r);
    }
    const good = reads.filter((r) => r.good).length;
    return {
      Meter: toApiSerial(meter.id),
      Group: 564257,
      Interval: 60,
      Protocol: meter.protocol,
      MAC_Addr: state.behaviour.macStyle === 'colon' ? gateway.mac.replace(/(..)(?!$)/g, '$1:') : gateway.mac,
      Tz_Offset_Sec: Math.round(tzOffsetMs(now, tz) / 1000),
      Bad_Reads: reads.length - good,
      Good_Reads: good,
      Credits: 1_000_000,
      ReadData: reads.map((r) => wireRead(r, tz, fields)),
    };
  });
  return { status: 200, body: { readMeter: { Requested: readSets.length, ReadSet: readSets } } };
}

/** The latest `cnt` reads of the 1000-read ring with since < t <= until, oldest first. */
function ringReads(
  state: CloudState,
  meter: FakeMeter,
  now: number,
  since: number | undefined,
  until: number | undefined,
  cnt: number,
): SimRead[] {
  const sim = state.sim;
  let newestMinute = Math.floor(now / MINUTE_MS);
  if (readTimeMs(meter, sim.seed, newestMinute) > now) newestMinute--;
  const oldestMinute = Math.max(newestMinute - RING_SIZE + 1, Math.ceil(sim.historyStartMs / MINUTE_MS));
  const out: SimRead[] = [];
  for (let m = newestMinute; m >= oldestMinute && out.length < cnt; m--) {
    const read = simulateRead(meter, m, sim);
    if (until !== undefined && read.timeMs > until) continue;
    if (since !== undefined && read.timeMs <= since) break;
    out.push(read);
  }
  return out.reverse();
}
