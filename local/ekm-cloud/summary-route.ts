import { formatEkmDate, fromEkmTz, isValidTimeZone, localParts, parseEkmDate } from '../../functions/core/ekm/ekm-time';
import { matchSummaryFields, summaryFieldNames } from '../../functions/core/ekm/field-catalog';
import { ValidationError } from '../../functions/core/errors';
import { toApiSerial } from '../../functions/core/readings/meter-id';
import type { SummaryReport } from '../../functions/ports/ekm-api';
import { authenticate, type CloudState, canSee, ekmError, isResponse, splitList } from './cloud-state';
import type { FakeRequest, FakeResponse, FakeRoute } from './fake-http';
import type { FakeGateway, FakeMeter } from './identities';
import { bucketBounds, simulateReads, summarizeReads } from './simulator';

const REPORTS: readonly SummaryReport[] = ['15', 'hr', 'dy', 'wk', 'mo', 'range'];
/** Largest `limit` the local EKM cloud serves per page (and the default page size). */
export const SUMMARY_MAX_LIMIT = 1000;
/** Default span when `start_date` is absent (docs/ekm-push-apis.md §3.2: EKM's range defaults to a month back). */
const DEFAULT_SPAN_MS: Readonly<Record<SummaryReport, number>> = {
  '15': 86_400_000,
  hr: 7 * 86_400_000,
  dy: 31 * 86_400_000,
  wk: 12 * 7 * 86_400_000,
  mo: 366 * 86_400_000,
  range: 31 * 86_400_000,
};

const pad = (n: number) => String(n).padStart(2, '0');

/** `Start_Date`/`End_Date` (format undocumented): our choice is `YYYY-MM-DD HH:MM` local in `timezone`. */
function localDate(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

export function makeSummaryRoute(state: CloudState): FakeRoute {
  // Paging asks for the same query again and again: keep the last few result sets (per server).
  const recordCache = new Map<string, Record<string, unknown>[]>();
  return (req: FakeRequest) => {
    if (req.path !== '/summary' && req.path !== '/summary/') return undefined;
    const res = summary(state, req.query, recordCache);
    if (state.behaviour.errorStyle === 'legacy-text' && res.status !== 200 && isEkmErrorBody(res.body)) {
      // The 2015 summary API: HTTP 200 and a text body starting with "Error" (docs/ekm-push-apis.md §3.6).
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: `Error: ${res.body.error.message}` };
    }
    return res;
  };
}

function isEkmErrorBody(body: unknown): body is { error: { code: number; message: string } } {
  const err = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof err === 'object' && err !== null && typeof err.code === 'number';
}

function summary(
  state: CloudState,
  query: URLSearchParams,
  recordCache: Map<string, Record<string, unknown>[]>,
): FakeResponse {
  const key = authenticate(state, query);
  if (isResponse(key)) return key;
  const format = query.get('format') ?? query.get('fmt') ?? 'json';
  if (format !== 'json') return ekmError(1101, `Invalid format: ${format} (the local EKM cloud serves json only)`);
  const report = (query.get('report') ?? '') as SummaryReport;
  if (!REPORTS.includes(report))
    return ekmError(1102, `Invalid value: report=${query.get('report') ?? ''} (15, hr, dy, wk, mo or range)`);
  const tzRaw = query.get('timezone') ?? query.get('tz') ?? 'UTC';
  const tz = fromEkmTz(tzRaw);
  if (!isValidTimeZone(tz)) return ekmError(1004, `Timezone is not supported: timezone=${tzRaw}`);
  const now = state.clock.now();
  let endMs: number;
  let startMs: number;
  try {
    const end = query.get('end_date');
    endMs = end ? parseEkmDate(end, tz, 'end_date') : now;
    const start = query.get('start_date');
    startMs = start ? parseEkmDate(start, tz, 'start_date') : endMs - DEFAULT_SPAN_MS[report];
  } catch (error) {
    return ekmError(1102, `Invalid value: ${error instanceof ValidationError ? error.message : String(error)}`);
  }
  if (startMs >= endMs) return ekmError(1102, 'Invalid value: start_date must be before end_date');
  const limitRaw = query.get('limit');
  const offsetRaw = query.get('offset');
  if (limitRaw !== null && !/^\d+$/.test(limitRaw)) return ekmError(1102, `Invalid value: limit=${limitRaw}`);
  if (offsetRaw !== null && !/^\d+$/.test(offsetRaw)) return ekmError(1102, `Invalid value: offset=${offsetRaw}`);
  const limit = Math.min(limitRaw === null ? SUMMARY_MAX_LIMIT : Number(limitRaw), SUMMARY_MAX_LIMIT);
  if (limit < 1) return ekmError(1102, `Invalid value: limit=${limitRaw} (1..${SUMMARY_MAX_LIMIT})`);
  const offset = offsetRaw === null ? 0 : Number(offsetRaw);

  const serials = splitList(query.get('meters') ?? query.get('devices'));
  if (serials.length === 0) return ekmError(1103, 'Invalid parameter: meters is required (serials joined with ~)');
  const entries: { meter: FakeMeter; gateway: FakeGateway }[] = [];
  for (const serial of serials) {
    if (!/^\d{1,12}$/.test(serial)) return ekmError(1102, `Invalid value: meters contains ${serial}`);
    const entry = state.meters.get(serial.padStart(12, '0'));
    if (!entry || !canSee(key, entry)) return ekmError(1200, `Found invalid meter: ${serial} for key: ${key.key}`);
    entries.push(entry);
  }
  const patterns = splitList(query.get('fields'));
  const wanted = new Set<string>();
  for (const pattern of patterns) {
    const matches = matchSummaryFields(pattern);
    if (matches.length === 0)
      return ekmError(1103, `Invalid parameter: fields contains ${pattern}, which matches no summary field`);
    for (const m of matches) wanted.add(m);
  }

  const cacheKey = JSON.stringify([key.key, serials, report, startMs, endMs, tz, [...wanted], Math.min(endMs, now)]);
  let records = recordCache.get(cacheKey);
  if (!records) {
    records = buildRecords(state, entries, report, startMs, endMs, tz, wanted, now);
    if (recordCache.size >= 16) recordCache.delete(recordCache.keys().next().value as string);
    recordCache.set(cacheKey, records);
  }
  if (records.length === 0 && offset === 0) {
    return ekmError(
      1001,
      `There is not data for: ${serials.join('~')} between ${formatEkmDate(startMs, tz)} and ${formatEkmDate(endMs, tz)}`,
    );
  }
  return { status: 200, body: records.slice(offset, offset + limit) };
}

function buildRecords(
  state: CloudState,
  entries: readonly { meter: FakeMeter }[],
  report: SummaryReport,
  startMs: number,
  endMs: number,
  tz: string,
  wanted: ReadonlySet<string>,
  now: number,
): Record<string, unknown>[] {
  const bounds = bucketBounds(report, startMs, endMs, tz).map(
    ([s, e]) => [Math.max(s, startMs), Math.min(e, endMs)] as [number, number],
  );
  const records: Record<string, unknown>[] = [];
  for (const { meter } of entries) {
    // Buckets use the whole series (every read, not only the realtime ring): the summary store keeps history.
    const reads = simulateReads(meter, startMs - 1, Math.min(endMs, now) - 1, state.sim);
    const names = summaryFieldNames(meter.protocol);
    for (const b of summarizeReads(reads, bounds)) {
      const rec: Record<string, unknown> = {
        Meter: Number(toApiSerial(meter.id)),
        Protocol: meter.protocol,
        Start_Time_Stamp_UTC_ms: b.startMs,
        End_Time_Stamp_UTC_ms: b.endMs,
        Start_Date: localDate(b.startMs, tz),
        End_Date: localDate(b.endMs, tz),
        Count: b.count,
      };
      for (const name of names) {
        if (wanted.size > 0 && !wanted.has(name)) continue;
        const v = b.values[name];
        if (v !== undefined) rec[name] = v;
      }
      records.push(rec);
    }
  }
  return records;
}
