import type { RealtimeQuery } from '../../functions/core/ekm/api-types';
import { detectEkmStatus, EkmApiError, EkmResponseError } from '../../functions/core/ekm/ekm-errors';
import { checkTimeZone, toEkmTz } from '../../functions/core/ekm/ekm-time';
import { fieldSpec } from '../../functions/core/ekm/field-catalog';
import { ValidationError } from '../../functions/core/errors';
import { isMeterId, type MeterId, toApiSerial, toMeterId } from '../../functions/core/readings/meter-id';
import type { FieldValue, MeterProtocol, Reading } from '../../functions/core/readings/reading';

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
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Decimal text → number. The fast path (`Number`) is exact for EKM's plain decimals; the regex only settles odd cases. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const c = value.charCodeAt(0);
  // Digits or a minus sign first: `Number` accepts exactly the decimals we want (no hex, no blanks).
  if ((c >= 48 && c <= 57) || c === 45) {
    const n = Number(value);
    if (Number.isFinite(n) && value.charCodeAt(1) !== 120) return n;
  }
  return NUMERIC.test(value) ? Number(value) : undefined;
}

function fail(ctx: ParseContext, detail: string): never {
  throw new EkmResponseError(ctx.endpoint ?? 'realtime', detail, ctx.secrets ?? []);
}

function parseValue(name: string, value: unknown, ctx: ParseContext, meter: MeterId): FieldValue | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const kind = fieldSpec(name)?.kind;
  if (kind === 'text') return typeof value === 'string' ? value : String(value);
  const n = toNumber(value);
  if (n !== undefined) return n;
  // Fields outside the catalog keep their text; a catalog number that is not a number is an EKM bug.
  if (kind === undefined && typeof value === 'string') return value;
  return fail(
    ctx,
    `meter ${meter}: field ${name} should be a decimal number, got ${JSON.stringify(value).slice(0, 40)}`,
  );
}

/**
 * Parse a `/readMeter` JSON body into readings: ordered by meter (request order) then time, one per
 * (meter, time), limited to `sinceMs < time <= untilMs` when given (the cloud may repeat reads or
 * send them out of order). An EKM status in the body becomes an {@link EkmApiError}; anything else
 * unexpected an {@link EkmResponseError}.
 */
export function parseReadResponse(body: string, ctx: ParseContext): Reading[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const status = detectEkmStatus(body);
    if (status) throw apiError(status, ctx);
    return fail(ctx, `body is not JSON (starts ${JSON.stringify(body.slice(0, 40))})`);
  }
  return normalizeReadMeter(json, ctx, body);
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

/** Same as {@link parseReadResponse} for an already parsed JSON value. */
export function normalizeReadMeter(json: unknown, ctx: ParseContext, raw?: string): Reading[] {
  const root = json as { readMeter?: { ReadSet?: unknown } } | null;
  if (typeof root !== 'object' || root === null || typeof root.readMeter !== 'object' || root.readMeter === null) {
    const status = detectEkmStatus(raw ?? JSON.stringify(json));
    if (status) throw apiError(status, ctx);
    return fail(ctx, 'no "readMeter" object in the body');
  }
  const sets = root.readMeter.ReadSet;
  if (!Array.isArray(sets)) return fail(ctx, 'readMeter.ReadSet is not an array');
  const out: Reading[] = [];
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
    const protocol =
      s.Protocol === 'v3' || s.Protocol === 'v4' || s.Protocol === 'v5' ? (s.Protocol as MeterProtocol) : undefined;
    const data = s.ReadData;
    // A failing meter may come back without ReadData (cloud-api.md §2.4): no reads, not an error.
    if (data === undefined) continue;
    if (!Array.isArray(data)) return fail(ctx, `meter ${meter}: ReadData is not an array`);
    const reads: Reading[] = [];
    for (const item of data as unknown[]) {
      if (typeof item !== 'object' || item === null)
        return fail(ctx, `meter ${meter}: a ReadData entry is not an object`);
      const r = item as Record<string, unknown>;
      const timeMs = toNumber(r.Time_Stamp_UTC_ms);
      if (timeMs === undefined || !Number.isInteger(timeMs)) {
        return fail(
          ctx,
          `meter ${meter}: read without a valid Time_Stamp_UTC_ms (${JSON.stringify(r.Time_Stamp_UTC_ms)})`,
        );
      }
      if (ctx.sinceMs !== undefined && timeMs <= ctx.sinceMs) continue;
      if (ctx.untilMs !== undefined && timeMs > ctx.untilMs) continue;
      const good = toNumber(r.Good);
      const fields: Record<string, FieldValue> = {};
      for (const name in r) {
        if (META.has(name)) continue;
        const v = parseValue(name, r[name], ctx, meter);
        if (v !== undefined) fields[name] = v;
      }
      reads.push({
        meter,
        timeMs,
        good: good === 1,
        ...(protocol ? { protocol } : {}),
        source: 'realtime',
        via: ctx.via,
        fields,
      });
    }
    reads.sort((a, b) => a.timeMs - b.timeMs);
    let last = Number.NaN;
    for (const read of reads) {
      if (read.timeMs === last) continue;
      last = read.timeMs;
      out.push(read);
    }
  }
  return out;
}
