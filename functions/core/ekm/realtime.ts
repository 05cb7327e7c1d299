import { ValidationError } from '../errors';
import { isMeterId, type MeterId, toApiSerial, toMeterId } from '../readings/meter-id';
import { type FieldValue, isMeterProtocol, type Reading } from '../readings/reading';
import type { RealtimeQuery } from './api-types';
import { isOutOfRangeDecimal, parseDecimal, plainDecimal } from './decimal';
import { detectEkmStatus, EkmApiError, EkmResponseError } from './ekm-errors';
import { checkTimeZone, toEkmTz } from './ekm-time';
import { fieldSpec } from './field-catalog';

/**
 * Realtime API (`/readMeter`), pure: validate a query, plan batches, build request URLs, and parse
 * EKM's JSON into the shared {@link Reading} model (decimal strings → numbers, serials → 12-digit
 * ids, reads sorted and de-duplicated, `since`/`until` enforced client-side).
 */
/** What a realtime request asks for (the port's query). */
export type RealtimeRequestSpec = RealtimeQuery;

/** Largest `cnt`: the Realtime API keeps the latest 1000 reads per meter. */
export const MAX_CNT = 1000;

/** Check every parameter before a request is sent; errors name the parameter, the value and the fix. */
export function validateRealtimeQuery(q: RealtimeRequestSpec): void {
  if (q.meters.length === 0) throw new ValidationError('meters', 'give at least one meter id (e.g. 000350000900)');
  q.meters.forEach((m, i) => {
    if (!isMeterId(m)) {
      throw new ValidationError(
        `meters[${i}]`,
        `${JSON.stringify(m)} is not a 12-digit meter id; use toMeterId() or pad with zeros (000350000900)`,
      );
    }
  });
  if (q.ver !== undefined && q.ver !== 'v3' && q.ver !== 'v4') {
    throw new ValidationError('ver', `must be v3 or v4, got ${JSON.stringify(q.ver)}`);
  }
  if (q.cnt !== undefined && (!Number.isInteger(q.cnt) || q.cnt < 1 || q.cnt > MAX_CNT)) {
    throw new ValidationError(
      'cnt',
      `must be an integer 1..${MAX_CNT} (reads per meter), got ${JSON.stringify(q.cnt)}`,
    );
  }
  for (const [name, v] of [
    ['since', q.sinceMs],
    ['until', q.untilMs],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      throw new ValidationError(
        name,
        `must be UTC epoch milliseconds (a non-negative integer), got ${JSON.stringify(v)}`,
      );
    }
  }
  if (q.sinceMs !== undefined && q.untilMs !== undefined && q.sinceMs >= q.untilMs) {
    throw new ValidationError('since', `must be before until (since=${q.sinceMs}, until=${q.untilMs})`);
  }
  for (const f of q.fields ?? []) {
    if (!fieldSpec(f))
      throw new ValidationError(
        'fields',
        `unknown EKM field ${JSON.stringify(f)}; field names are EKM's (kWh_Tot, RMS_Volts_Ln_1, ...)`,
      );
  }
  if (q.tz !== undefined) checkTimeZone(q.tz, 'tz');
}

/** Split meters into request batches of at most `batchSize` (EKM joins them with `~`). */
export function planRealtimeBatches(meters: readonly MeterId[], batchSize: number): MeterId[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError('realtimeBatchSize', `must be a positive integer, got ${JSON.stringify(batchSize)}`);
  }
  const unique = [...new Set(meters)];
  const out: MeterId[][] = [];
  for (let i = 0; i < unique.length; i += batchSize) out.push(unique.slice(i, i + batchSize));
  return out;
}

/** Query-string encoding that keeps EKM's `~` separators literal. */
export function encodeQuery(params: Record<string, string | undefined>): string {
  return Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
}

/** The URL of one realtime request (query style). `baseUrl` is the API host, e.g. https://api.ekmpush.com. */
export function buildReadRequest(baseUrl: string, key: string, q: RealtimeRequestSpec): string {
  const qs = encodeQuery({
    key,
    meters: q.meters.map(toApiSerial).join('~'),
    ver: q.ver,
    fmt: 'json',
    cnt: String(q.cnt ?? 1),
    tz: q.tz ? toEkmTz(q.tz) : undefined,
    fields: q.fields && q.fields.length > 0 ? q.fields.join('~') : undefined,
    since: q.sinceMs === undefined ? undefined : String(q.sinceMs),
    until: q.untilMs === undefined ? undefined : String(q.untilMs),
  });
  return `${baseUrl.replace(/\/+$/, '')}/readMeter?${qs}`;
}

/** What the realtime parser needs besides the body: provenance, the request's filters, secrets to redact. */
export interface ParseContext {
  /** Non-secret provenance stored on each reading (the key alias). */
  readonly via: string;
  readonly endpoint?: string;
  /** Meters the request asked for (for error messages). */
  readonly meters?: readonly MeterId[];
  readonly sinceMs?: number;
  readonly untilMs?: number;
  /** Secrets to redact from error text (the key). */
  readonly secrets?: readonly string[];
}

const META = new Set(['Good', 'Date', 'Time', 'Time_Stamp_UTC_ms']);
/** A JSON number if finite, decimal text through the one EKM grammar (decimal.ts), else undefined. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return typeof value === 'string' ? parseDecimal(value) : undefined;
}

/** What the parser does with a read's key: skip it (read metadata), keep text, parse a catalog number, or an unknown field. */
const SKIP = 0;
const TEXT = 1;
const NUMBER = 2;
const UNKNOWN = 3;
function keyKind(name: string): number {
  const spec = fieldSpec(name);
  return META.has(name) ? SKIP : spec?.kind === 'text' ? TEXT : spec ? NUMBER : UNKNOWN;
}

/** The keys of a read and a fields object of the same keys minus the metadata (cloned for each read of that shape). */
interface FieldShape {
  /** Every key of the read, metadata included, in order, and what to do with each (by position). */
  readonly keys: readonly string[];
  readonly kinds: readonly number[];
  readonly template: Record<string, FieldValue>;
}

function shapeOf(r: Record<string, unknown>): FieldShape {
  const { Good: _good, Date: _date, Time: _time, Time_Stamp_UTC_ms: _ts, ...template } = r;
  const keys: string[] = [];
  for (const name in r) keys.push(name);
  return { keys, kinds: keys.map(keyKind), template: template as Record<string, FieldValue> };
}

const FILLED = 0;
/** The read's keys differ from the shape's: make a new shape and fill again. */
const SHAPE_CHANGED = 1;
/** Filled, but some values were empty (they must be absent). */
const HAS_EMPTY = 2;

/**
 * Write a read's typed field values into `fields` (a clone of the shape's template). Returns a status or,
 * for a malformed value, the reason. Same decisions as the catalog: text fields stay text, catalog
 * numbers must parse, unknown fields parse when they can and otherwise keep their text.
 */
function fillFields(
  r: Record<string, unknown>,
  fields: Record<string, FieldValue>,
  shape: FieldShape,
): number | string {
  const { keys, kinds } = shape;
  let i = 0;
  let status = FILLED;
  for (const name in r) {
    // Same key at the same position as in the shape (cheap: JSON's keys are internalized strings),
    // so the decision is known by position, no lookup per key.
    if (keys[i] !== name) return SHAPE_CHANGED;
    const kind = kinds[i++];
    if (kind === SKIP) continue;
    const value = r[name];
    if (value === null || value === undefined || value === '') {
      status = HAS_EMPTY;
      continue;
    }
    if (kind === TEXT) {
      fields[name] = typeof value === 'string' ? value : String(value);
      continue;
    }
    const n = (typeof value === 'string' ? plainDecimal(value) : undefined) ?? toNumber(value);
    if (n !== undefined) fields[name] = n;
    else if (kind === UNKNOWN && typeof value === 'string') fields[name] = value;
    else return malformedReason(name, value);
  }
  return i === keys.length ? status : SHAPE_CHANGED;
}

function fail(ctx: ParseContext, detail: string): never {
  throw new EkmResponseError(ctx.endpoint ?? 'realtime', detail, ctx.secrets ?? []);
}

/** Why a field value is refused: a catalog number that is not a number (or a non-text value of an unknown field). */
function malformedReason(name: string, value: unknown): string {
  if (typeof value === 'string' && isOutOfRangeDecimal(value))
    return `field ${name} is not a finite number (outside the range of a double), got ${JSON.stringify(value).slice(0, 40)}`;
  return `field ${name} should be a decimal number, got ${JSON.stringify(value).slice(0, 40)}`;
}

/**
 * A read the parser refused, with the reason and the read exactly as EKM sent it. The rest of the
 * response still parses: one bad read must not block every other read while it sits in EKM's ring.
 */
export interface RealtimeRejection {
  readonly meter: MeterId;
  /** The read's time when it had a valid `Time_Stamp_UTC_ms`. */
  readonly timeMs?: number;
  /** What is wrong, naming the field and the value. */
  readonly reason: string;
  /** The read's JSON object as received (a non-object entry is wrapped as `{ entry }`). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Readings and per-read rejections of one `/readMeter` response. */
export interface ParsedReadResponse {
  readonly readings: Reading[];
  readonly rejected: RealtimeRejection[];
}

/**
 * Parse a `/readMeter` JSON body into readings: ordered by meter (request order) then time, one per
 * (meter, time), limited to `sinceMs < time <= untilMs` when given (the cloud may repeat reads or
 * send them out of order). Strict: a malformed read fails the whole response with an
 * {@link EkmResponseError}; use {@link parseReadResponseWithRejections} to keep the good reads and
 * get the bad ones back. An EKM status in the body becomes an {@link EkmApiError}.
 */
export function parseReadResponse(body: string, ctx: ParseContext): Reading[] {
  return strict(parseReadResponseWithRejections(body, ctx), ctx);
}

/**
 * Like {@link parseReadResponse}, but a malformed read (a catalog number field that is not a number,
 * no valid `Time_Stamp_UTC_ms`, an entry that is not an object) comes back in `rejected` while the
 * other reads parse. Problems of the envelope (not JSON, no `readMeter`, `ReadSet`/`ReadData` not
 * arrays, a bad `Meter`) still throw.
 */
export function parseReadResponseWithRejections(body: string, ctx: ParseContext): ParsedReadResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const status = detectEkmStatus(body);
    if (status) throw apiError(status, ctx);
    return fail(ctx, `body is not JSON (starts ${JSON.stringify(body.slice(0, 40))})`);
  }
  return normalizeReadMeterWithRejections(json, ctx, body);
}

function strict(parsed: ParsedReadResponse, ctx: ParseContext): Reading[] {
  const first = parsed.rejected[0];
  if (first) fail(ctx, first.reason);
  return parsed.readings;
}

function apiError(status: { code: number; message: string }, ctx: ParseContext, httpStatus = 200): EkmApiError {
  return new EkmApiError(
    {
      ekmStatus: status.code,
      endpoint: ctx.endpoint ?? 'realtime',
      meters: ctx.meters ?? [],
      httpStatus,
      detail: status.message,
    },
    ctx.secrets ?? [],
  );
}

/** Same as {@link parseReadResponse} for an already parsed JSON value (strict). */
export function normalizeReadMeter(json: unknown, ctx: ParseContext, raw?: string): Reading[] {
  return strict(normalizeReadMeterWithRejections(json, ctx, raw), ctx);
}

/** Same as {@link parseReadResponseWithRejections} for an already parsed JSON value. */
export function normalizeReadMeterWithRejections(json: unknown, ctx: ParseContext, raw?: string): ParsedReadResponse {
  const root = json as { readMeter?: { ReadSet?: unknown } } | null;
  if (typeof root !== 'object' || root === null || typeof root.readMeter !== 'object' || root.readMeter === null) {
    const status = detectEkmStatus(raw ?? JSON.stringify(json));
    if (status) throw apiError(status, ctx);
    return fail(ctx, 'no "readMeter" object in the body');
  }
  const sets = root.readMeter.ReadSet;
  if (!Array.isArray(sets)) return fail(ctx, 'readMeter.ReadSet is not an array');
  const out: Reading[] = [];
  const rejected: RealtimeRejection[] = [];
  let shape: FieldShape = { keys: [], kinds: [], template: {} };
  for (const set of sets as unknown[]) {
    if (typeof set !== 'object' || set === null) return fail(ctx, 'a ReadSet entry is not an object');
    const s = set as Record<string, unknown>;
    const meterRaw = s.Meter;
    if (typeof meterRaw !== 'string' && typeof meterRaw !== 'number') return fail(ctx, 'a ReadSet has no Meter');
    let meter: MeterId;
    try {
      meter = toMeterId(meterRaw, 'Meter');
    } catch {
      return fail(ctx, `ReadSet.Meter ${JSON.stringify(meterRaw)} is not a meter serial`);
    }
    const protocol = isMeterProtocol(s.Protocol) ? s.Protocol : undefined;
    const data = s.ReadData;
    // A failing meter may come back without ReadData (docs/ekm-push-apis.md §2.4): no reads, not an error.
    if (data === undefined) continue;
    if (!Array.isArray(data)) return fail(ctx, `meter ${meter}: ReadData is not an array`);
    const reads: Reading[] = [];
    const bad: RealtimeRejection[] = [];
    for (const item of data as unknown[]) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        bad.push({ meter, reason: `meter ${meter}: a ReadData entry is not an object`, raw: { entry: item } });
        continue;
      }
      const r = item as Record<string, unknown>;
      const timeMs = toNumber(r.Time_Stamp_UTC_ms);
      if (timeMs === undefined || !Number.isInteger(timeMs)) {
        bad.push({
          meter,
          reason: `meter ${meter}: read without a valid Time_Stamp_UTC_ms (${JSON.stringify(r.Time_Stamp_UTC_ms)})`,
          raw: r,
        });
        continue;
      }
      if (ctx.sinceMs !== undefined && timeMs <= ctx.sinceMs) continue;
      if (ctx.untilMs !== undefined && timeMs > ctx.untilMs) continue;
      const good = toNumber(r.Good) === 1;
      // Fields go into a copy of the last read's fields (`{...template}` clones its hidden class in
      // one step); values are then overwritten in place. Adding ~70 keys one by one to `{}` would
      // turn each object into a hash table: slower to build, to iterate and to collect.
      let fields = { ...shape.template };
      let status = fillFields(r, fields, shape);
      if (status === SHAPE_CHANGED) {
        shape = shapeOf(r);
        fields = { ...shape.template };
        status = fillFields(r, fields, shape);
      }
      const problem = typeof status === 'string' ? status : undefined;
      // Empty values are absent, never stored (rare: rebuild without them rather than `delete`).
      if (status === HAS_EMPTY) {
        const kept: Record<string, FieldValue> = {};
        for (const name in fields) {
          const value = r[name];
          if (value !== null && value !== undefined && value !== '') kept[name] = fields[name] as FieldValue;
        }
        fields = kept;
      }
      if (problem !== undefined) {
        bad.push({ meter, timeMs, reason: `meter ${meter}: ${problem}`, raw: r });
        continue;
      }
      // Two literals rather than a spread: one object shape per case, no temporary object.
      reads.push(
        protocol
          ? { meter, timeMs, good, protocol, source: 'realtime', via: ctx.via, fields }
          : { meter, timeMs, good, source: 'realtime', via: ctx.via, fields },
      );
    }
    // EKM usually sends a meter's reads in time order without repeats: check before sorting.
    let ordered = true;
    for (let i = 1; i < reads.length; i++) {
      if ((reads[i] as Reading).timeMs <= (reads[i - 1] as Reading).timeMs) {
        ordered = false;
        break;
      }
    }
    if (ordered) {
      for (const read of reads) out.push(read);
    } else {
      reads.sort((a, b) => a.timeMs - b.timeMs);
      let last = Number.NaN;
      for (const read of reads) {
        if (read.timeMs === last) continue;
        last = read.timeMs;
        out.push(read);
      }
    }
    // The cloud may repeat a read across polls: one rejection per (meter, time).
    const seen = new Set<number>();
    for (const b of bad) {
      if (b.timeMs !== undefined) {
        if (seen.has(b.timeMs)) continue;
        seen.add(b.timeMs);
      }
      rejected.push(b);
    }
  }
  return { readings: out, rejected };
}
