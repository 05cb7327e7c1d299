import { detectEkmStatus, EkmApiError, EkmResponseError } from '../../functions/core/ekm/ekm-errors';
import { fieldSpec } from '../../functions/core/ekm/field-catalog';
import type { ParseContext } from '../../functions/core/ekm/realtime';
import { type MeterId, toMeterId } from '../../functions/core/readings/meter-id';
import type { FieldValue, MeterProtocol, Reading } from '../../functions/core/readings/reading';

/**
 * The realtime parser as it was before the speed rework, kept as the oracle of the differential test
 * (realtime-parse-diff.test.ts). Only the parse path is kept; request building is shared with
 * functions/core/ekm/realtime.ts and did not change.
 */

const META = new Set(['Good', 'Date', 'Time', 'Time_Stamp_UTC_ms']);
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Decimal text → number. The fast path (`Number`) is exact for EKM's plain decimals; the regex only settles odd cases. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const c = value.charCodeAt(0);
  // Digits or a minus sign first: `Number` accepts exactly the decimals we want, once its radix
  // literals are ruled out (`0x1F`, `0X1F`, `0b11`, `0o7` are not EKM decimals; functions/core/ekm/decimal.ts).
  if ((c >= 48 && c <= 57) || c === 45) {
    const n = Number(value);
    if (Number.isFinite(n) && !/^0[xXbBoO]/.test(value)) return n;
  }
  // Numeric text that overflows a double ("1e400") is not a number (the lake never stores ±Infinity).
  return NUMERIC.test(value) && Number.isFinite(Number(value)) ? Number(value) : undefined;
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
  const what =
    typeof value === 'string' && NUMERIC.test(value)
      ? 'is not a finite number (outside the range of a double)'
      : 'should be a decimal number';
  return fail(ctx, `meter ${meter}: field ${name} ${what}, got ${JSON.stringify(value).slice(0, 40)}`);
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
    // A failing meter may come back without ReadData (docs/ekm-push-apis.md §2.4): no reads, not an error.
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
