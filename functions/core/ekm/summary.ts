import { ValidationError } from '../errors';
import { isMeterId, type MeterId, toApiSerial, toMeterId } from '../readings/meter-id';
import type { SummaryBucket, SummaryQuery, SummaryReport } from './api-types';
import { detectEkmStatus, EkmApiError, EkmResponseError } from './ekm-errors';
import { checkTimeZone, formatEkmDate, toEkmTz } from './ekm-time';
import { matchSummaryFields } from './field-catalog';
import { encodeQuery } from './realtime';

/**
 * Summary API (`/summary`), pure: validation, paging plan, request URLs and parsing of EKM's bare
 * JSON array into {@link SummaryBucket}s.
 */
/** What a summary request asks for (the port's query). */
export type SummaryRequestSpec = SummaryQuery;

/** The report kinds the Summary API offers (15-minute, hour, day, week, month, one range bucket). */
export const SUMMARY_REPORTS: readonly SummaryReport[] = ['15', 'hr', 'dy', 'wk', 'mo', 'range'];
/** Page size the client asks for (the local EKM cloud's maximum; EKM clients commonly use 1000). */
export const DEFAULT_SUMMARY_PAGE = 1000;

/** Check a summary query before any request; errors name the parameter (`report`, `start_date`, `fields`, ...). */
export function validateSummaryQuery(q: SummaryRequestSpec): void {
  if (q.meters.length === 0) throw new ValidationError('meters', 'give at least one meter id (e.g. 000350000900)');
  q.meters.forEach((m, i) => {
    if (!isMeterId(m)) throw new ValidationError(`meters[${i}]`, `${JSON.stringify(m)} is not a 12-digit meter id`);
  });
  if (!SUMMARY_REPORTS.includes(q.report)) {
    throw new ValidationError(
      'report',
      `must be one of ${SUMMARY_REPORTS.join(', ')}, got ${JSON.stringify(q.report)}`,
    );
  }
  for (const [name, v] of [
    ['start_date', q.startMs],
    ['end_date', q.endMs],
  ] as const) {
    if (!Number.isFinite(v) || !Number.isInteger(v))
      throw new ValidationError(name, `must be a valid date/time, got ${String(v)}`);
  }
  if (q.startMs >= q.endMs) {
    throw new ValidationError(
      'start_date',
      `must be before end_date (${new Date(q.startMs).toISOString()} ≥ ${new Date(q.endMs).toISOString()})`,
    );
  }
  if (q.timezone !== undefined) checkTimeZone(q.timezone, 'timezone');
  for (const f of q.fields ?? []) {
    if (matchSummaryFields(f).length === 0) {
      throw new ValidationError(
        'fields',
        `${JSON.stringify(f)} matches no summary field (e.g. kWh_Tot_Diff, kWh_Tot*, RMS_Volts_Ln_1_Average)`,
      );
    }
  }
}

/** The URL of one summary page. Dates are whole minutes (YYYYMMDDhhmm) in `timezone` (default UTC). */
export function buildSummaryRequest(
  baseUrl: string,
  key: string,
  q: SummaryRequestSpec,
  page: { limit: number; offset: number },
): string {
  const tz = q.timezone ?? 'UTC';
  const qs = encodeQuery({
    key,
    meters: q.meters.map(toApiSerial).join('~'),
    format: 'json',
    report: q.report,
    start_date: formatEkmDate(q.startMs, tz),
    end_date: formatEkmDate(q.endMs, tz),
    timezone: toEkmTz(tz),
    fields: q.fields && q.fields.length > 0 ? q.fields.join('~') : undefined,
    bulk: q.meters.length > 1 ? '1' : undefined,
    limit: String(page.limit),
    offset: String(page.offset),
  });
  return `${baseUrl.replace(/\/+$/, '')}/summary?${qs}`;
}

/** Paging plan: the next offset after a page of `received` records, or undefined when done. */
export function nextSummaryOffset(page: { limit: number; offset: number }, received: number): number | undefined {
  return received < page.limit ? undefined : page.offset + received;
}

const META = new Set([
  'Meter',
  'Protocol',
  'Start_Time_Stamp_UTC_ms',
  'End_Time_Stamp_UTC_ms',
  'Start_Date',
  'End_Date',
]);

/** EKM "no data" statuses: an empty result, not a failure. */
export const NO_DATA_STATUSES: ReadonlySet<number> = new Set([1000, 1001, 1002, 1003]);

/**
 * Parse one summary page. Values become numbers (numeric strings accepted); `Count` is kept as a
 * value. "No data" statuses (1000–1003) give an empty page; other EKM statuses throw
 * {@link EkmApiError}; a legacy text body starting with `Error` counts as 1100.
 */
export function parseSummaryResponse(
  body: string,
  ctx: { report: SummaryReport; meters?: readonly MeterId[]; secrets?: readonly string[]; endpoint?: string },
): SummaryBucket[] {
  const endpoint = ctx.endpoint ?? 'summary';
  const status = detectEkmStatus(body);
  if (status) {
    if (NO_DATA_STATUSES.has(status.code)) return [];
    throw new EkmApiError(
      { ekmStatus: status.code, endpoint, meters: ctx.meters ?? [], httpStatus: 200, detail: status.message },
      ctx.secrets ?? [],
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new EkmResponseError(
      endpoint,
      `body is not JSON (starts ${JSON.stringify(body.slice(0, 40))})`,
      ctx.secrets ?? [],
    );
  }
  if (!Array.isArray(json))
    throw new EkmResponseError(endpoint, 'expected a JSON array of summary records', ctx.secrets ?? []);
  return json.map((rec: unknown, i) => {
    if (typeof rec !== 'object' || rec === null) throw new EkmResponseError(endpoint, `record ${i} is not an object`);
    const r = rec as Record<string, unknown>;
    const start = Number(r.Start_Time_Stamp_UTC_ms);
    const end = Number(r.End_Time_Stamp_UTC_ms);
    if (!Number.isInteger(start) || !Number.isInteger(end)) {
      throw new EkmResponseError(endpoint, `record ${i} lacks Start/End_Time_Stamp_UTC_ms`);
    }
    let meter: MeterId;
    try {
      meter = toMeterId(r.Meter as string, 'Meter');
    } catch {
      throw new EkmResponseError(endpoint, `record ${i} has no valid Meter (${JSON.stringify(r.Meter)})`);
    }
    const values: Record<string, number> = {};
    for (const name in r) {
      if (META.has(name)) continue;
      const v = r[name];
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
      // Text that is no number is left out; numeric text that overflows (±Infinity) is kept so
      // that bucketToRow quarantines the bucket, as realtime reads are (core/parquet/rows.ts).
      if (!Number.isNaN(n)) values[name] = n;
    }
    return { meter, startMs: start, endMs: end, report: ctx.report, values };
  });
}
