import type { SummaryBucket, SummaryReport } from '../ekm/api-types';
import { isOutOfRangeDecimal, parseDecimal } from '../ekm/decimal';
import { isMeterId } from '../readings/meter-id';
import {
  type FieldValue,
  isMeterProtocol,
  type MeterProtocol,
  type Reading,
  type ReadingSource,
} from '../readings/reading';
import {
  COUNTER_FIELDS,
  type ColumnType,
  columnNameOf,
  columnsOf,
  type Dataset,
  ekmFieldOf,
  emptyRowFactory,
  INSTANT_FIELDS,
  INTERVAL_COLUMNS,
  LAKE_SCHEMA_VERSION,
  QUARANTINE_COLUMNS,
  READING_COLUMNS,
  SUMMARY_COLUMNS,
} from './lake-schema';

const emptyReadingRow = emptyRowFactory(READING_COLUMNS);
const emptySummaryRow = emptyRowFactory(SUMMARY_COLUMNS);
const emptyQuarantineRow = emptyRowFactory(QUARANTINE_COLUMNS);
const emptyIntervalRow = emptyRowFactory(INTERVAL_COLUMNS);

/** An empty row (all columns null) of a dataset, in the dataset's one object shape. */
export function emptyRow(dataset: Dataset): LakeRow {
  return dataset === 'realtime'
    ? emptyReadingRow()
    : dataset === 'summary'
      ? emptySummaryRow()
      : dataset === 'intervals'
        ? emptyIntervalRow()
        : emptyQuarantineRow();
}

/** One lake row: column name → value (timestamps as UTC epoch ms, JSON columns as text). */
export type CellValue = string | number | boolean | null;
export type LakeRow = Record<string, CellValue>;

/** A reading (or bucket) the lake refused, with the reason; written to the `quarantine` dataset. */
export interface Rejected {
  readonly reason: string;
  readonly meter?: string;
  readonly timeMs?: number;
  readonly source: ReadingSource;
  readonly via: string;
  /** The offending input as JSON (secrets never reach here: readings carry aliases only). */
  readonly raw: string;
}

/** Earliest and latest plausible read times (2000-01-01 .. 2100-01-01 UTC); anything outside is malformed. */
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 4_102_444_800_000;
const SOURCES: ReadonlySet<string> = new Set(['realtime', 'summary', 'edge']);

const readingTypes = new Map<string, ColumnType>(READING_COLUMNS.map((c) => [c.name, c.type]));
const summaryTypes = new Map<string, ColumnType>(SUMMARY_COLUMNS.map((c) => [c.name, c.type]));
const META = new Set(['meter', 'time', 'good', 'protocol', 'source', 'via', 'schema_version', 'extra']);

/** A finite number, or undefined: decimal text that overflows a double (`"1e400"`) is refused, not ±Infinity. */
function toDouble(value: FieldValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return parseDecimal(value);
}

/** Why a value does not fit a number column: out of range (±Infinity, NaN) or not a number at all. */
function notANumber(field: string, value: FieldValue, expected: string): string {
  const outOfRange = typeof value === 'number' || isOutOfRangeDecimal(value);
  return outOfRange
    ? `${field}: ${JSON.stringify(typeof value === 'number' ? String(value) : value)} is not a finite number (outside the range of a double)`
    : `${field}: expected ${expected}, got ${JSON.stringify(value)}`;
}

function toInt(value: FieldValue): number | undefined {
  const n = toDouble(value);
  return n !== undefined && Number.isInteger(n) && Math.abs(n) <= 2_147_483_647 ? n : undefined;
}

function checkTime(timeMs: unknown): string | undefined {
  if (typeof timeMs !== 'number' || !Number.isInteger(timeMs))
    return `time: expected integer UTC epoch ms, got ${JSON.stringify(timeMs)}`;
  if (timeMs < MIN_TIME_MS || timeMs >= MAX_TIME_MS)
    return `time: ${timeMs} is outside 2000-01-01..2100-01-01 UTC (wrong unit or corrupt read)`;
  return undefined;
}

function rejected(
  reason: string,
  input: { meter?: unknown; timeMs?: unknown; source: ReadingSource; via: string },
  raw: unknown,
): Rejected {
  return {
    reason,
    ...(typeof input.meter === 'string' ? { meter: input.meter } : {}),
    ...(typeof input.timeMs === 'number' && checkTime(input.timeMs) === undefined ? { timeMs: input.timeMs } : {}),
    source: SOURCES.has(input.source) ? input.source : 'realtime',
    via: input.via,
    raw: JSON.stringify(raw) ?? 'null',
  };
}

/** Where an EKM field goes in a `realtime` row: its typed column, or `null` for `extra`. */
interface FieldTarget {
  readonly column: string;
  readonly type: ColumnType;
}

/** Cache of {@link fieldTarget} (bounded: field names come from outside). */
const fieldTargets = new Map<string, FieldTarget | null>();
const MAX_CACHED_FIELDS = 4096;

/** One map lookup per field instead of a rename + two set/map lookups (same answer, cached). */
function fieldTarget(field: string): FieldTarget | null {
  let target = fieldTargets.get(field);
  if (target !== undefined) return target;
  const column = columnNameOf(field);
  const type = META.has(column) ? undefined : readingTypes.get(column);
  target = type === undefined ? null : { column, type };
  if (fieldTargets.size < MAX_CACHED_FIELDS) fieldTargets.set(field, target);
  return target;
}

/**
 * Map a reading to a `realtime` dataset row, or explain why it is malformed. Every EKM field is
 * kept: known fields in their typed column, unknown ones in `extra` (JSON). A value that does not
 * fit its column's type rejects the whole reading (it goes to quarantine with the reason).
 */
export function readingToRow(reading: Reading): { row: LakeRow } | { rejected: Rejected } {
  const fail = (reason: string) => ({ rejected: rejected(reason, reading, reading) });
  if (typeof reading.meter !== 'string' || !isMeterId(reading.meter))
    return fail(`meter: expected a 12-digit meter id, got ${JSON.stringify(reading.meter)}`);
  const timeError = checkTime(reading.timeMs);
  if (timeError) return fail(timeError);
  if (typeof reading.good !== 'boolean') return fail(`good: expected true/false, got ${JSON.stringify(reading.good)}`);
  if (!SOURCES.has(reading.source))
    return fail(`source: expected realtime, summary or edge, got ${JSON.stringify(reading.source)}`);
  if (typeof reading.via !== 'string' || reading.via === '') return fail('via: the key alias or gateway id is missing');
  if (reading.protocol !== undefined && !isMeterProtocol(reading.protocol))
    return fail(`protocol: expected v3, v4 or v5, got ${JSON.stringify(reading.protocol)}`);
  const row: LakeRow = emptyReadingRow();
  row.meter = reading.meter;
  row.time = reading.timeMs;
  row.good = reading.good;
  row.protocol = reading.protocol ?? null;
  row.source = reading.source;
  row.via = reading.via;
  row.schema_version = LAKE_SCHEMA_VERSION;
  let extra: Record<string, FieldValue> | undefined;
  const fields = reading.fields;
  for (const field in fields) {
    const value = fields[field] as FieldValue;
    const target = fieldTarget(field);
    if (target === null) {
      extra ??= {};
      extra[field] = value;
      continue;
    }
    const column = target.column;
    // EKM's dotted name and its column spelling (PERR.NR / PERR_NR) are one field: both is ambiguous.
    if (column !== field && fields[column] !== undefined)
      return fail(`${field} and ${column} are one field (column ${column}); send only one of them`);
    if (typeof value !== 'number' && typeof value !== 'string')
      return fail(`${field}: expected a number or decimal text, got ${JSON.stringify(value)}`);
    if (target.type === 'double') {
      const n = toDouble(value);
      if (n === undefined) return fail(notANumber(field, value, 'a number'));
      row[column] = n;
    } else if (target.type === 'int') {
      const n = toInt(value);
      if (n === undefined && toDouble(value) === undefined)
        return fail(notANumber(field, value, 'an integer state/setting'));
      if (n === undefined) return fail(`${field}: expected an integer state/setting, got ${JSON.stringify(value)}`);
      row[column] = n;
    } else {
      row[column] = String(value);
    }
  }
  row.extra = extra ? JSON.stringify(extra) : null;
  return { row };
}

/** Inverse of {@link readingToRow}: nulls become absent fields, `extra` is spread back. */
export function rowToReading(row: LakeRow): Reading {
  const fields: Record<string, FieldValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === null || META.has(column) || typeof value === 'boolean') continue;
    fields[ekmFieldOf(column)] = value;
  }
  if (typeof row.extra === 'string') Object.assign(fields, JSON.parse(row.extra) as Record<string, FieldValue>);
  return {
    meter: String(row.meter),
    timeMs: Number(row.time),
    good: row.good === true,
    ...(row.protocol ? { protocol: row.protocol as MeterProtocol } : {}),
    source: row.source as ReadingSource,
    via: String(row.via),
    fields,
  };
}

/** Map a summary bucket to a `summary` dataset row, or explain why it is malformed. */
export function bucketToRow(bucket: SummaryBucket, via: string): { row: LakeRow } | { rejected: Rejected } {
  const input = { meter: bucket.meter, timeMs: bucket.startMs, source: 'summary' as const, via };
  const fail = (reason: string) => ({ rejected: rejected(reason, input, bucket) });
  if (typeof bucket.meter !== 'string' || !isMeterId(bucket.meter))
    return fail(`meter: expected a 12-digit meter id, got ${JSON.stringify(bucket.meter)}`);
  const startError = checkTime(bucket.startMs) ?? checkTime(bucket.endMs);
  if (startError) return fail(startError);
  if (bucket.endMs <= bucket.startMs)
    return fail(`end: bucket ends (${bucket.endMs}) before it starts (${bucket.startMs})`);
  const row: LakeRow = emptySummaryRow();
  row.meter = bucket.meter;
  row.time = bucket.startMs;
  row.end_time = bucket.endMs;
  row.report = bucket.report;
  row.source = 'summary';
  row.via = via;
  row.schema_version = LAKE_SCHEMA_VERSION;
  let extra: Record<string, number> | undefined;
  for (const [name, value] of Object.entries(bucket.values)) {
    const n = toDouble(value as FieldValue);
    if (n === undefined) return fail(notANumber(name, value as FieldValue, 'a number'));
    if (summaryTypes.get(name) === 'double') row[name] = n;
    else {
      extra ??= {};
      extra[name] = n;
    }
  }
  row.extra = extra ? JSON.stringify(extra) : null;
  return { row };
}

/** Inverse of {@link bucketToRow}. */
export function rowToBucket(row: LakeRow): SummaryBucket {
  const values: Record<string, number> = {};
  for (const c of SUMMARY_COLUMNS) {
    const v = row[c.name];
    if (c.type === 'double' && typeof v === 'number') values[c.name] = v;
  }
  if (typeof row.extra === 'string') Object.assign(values, JSON.parse(row.extra) as Record<string, number>);
  return {
    meter: String(row.meter),
    startMs: Number(row.time),
    endMs: Number(row.end_time),
    report: row.report as SummaryReport,
    values,
  };
}

/**
 * A gap-fill reading from a 15-minute summary bucket (`source = summary`, time = bucket start):
 * counters take the bucket's first value (the register at the bucket start), instantaneous values
 * the bucket average. Used only where the Realtime API no longer holds the reads.
 */
export function bucketToGapReading(bucket: SummaryBucket, via: string): Reading {
  const fields: Record<string, FieldValue> = {};
  for (const f of COUNTER_FIELDS) {
    const v = bucket.values[`${f}_First`] ?? bucket.values[`${f}_Last`];
    if (v !== undefined) fields[f] = v;
  }
  for (const f of INSTANT_FIELDS) {
    const v = bucket.values[`${f}_Average`];
    if (v !== undefined) fields[f] = v;
  }
  return { meter: bucket.meter, timeMs: bucket.startMs, good: true, source: 'summary', via, fields };
}

/** A `quarantine` dataset row. */
export function quarantineRow(r: Rejected, detectedAtMs: number): LakeRow {
  const row: LakeRow = emptyQuarantineRow();
  row.detected_at = detectedAtMs;
  row.meter = r.meter ?? null;
  row.time = r.timeMs ?? null;
  row.source = r.source;
  row.via = r.via;
  row.reason = r.reason;
  row.raw = r.raw;
  row.schema_version = LAKE_SCHEMA_VERSION;
  return row;
}

/** The identity of a row within its dataset: two rows with the same key are the same read. */
export function rowKey(dataset: Dataset, row: LakeRow): string {
  if (dataset === 'realtime') return `${row.meter}|${row.time}|${row.source}`;
  if (dataset === 'summary') return `${row.meter}|${row.time}|${row.report}`;
  if (dataset === 'intervals') return `${row.meter}|${row.time}`;
  return `${row.reason}|${row.raw}`;
}

/**
 * Union of `existing` and `incoming`, one row per {@link rowKey} (incoming wins), sorted by
 * (meter, time, key). Sorting makes the bytes of a re-written object independent of arrival order.
 */
export function mergeRows(dataset: Dataset, existing: readonly LakeRow[], incoming: readonly LakeRow[]): LakeRow[] {
  const byKey = new Map<string, LakeRow>();
  for (const row of existing) byKey.set(rowKey(dataset, row), row);
  for (const row of incoming) byKey.set(rowKey(dataset, row), row);
  const sortCol = dataset === 'quarantine' ? 'detected_at' : 'time';
  return [...byKey.entries()]
    .sort(([ka, a], [kb, b]) => {
      const ma = String(a.meter ?? '');
      const mb = String(b.meter ?? '');
      if (ma !== mb) return ma < mb ? -1 : 1;
      const d = Number(a[sortCol] ?? 0) - Number(b[sortCol] ?? 0);
      return d !== 0 ? d : ka < kb ? -1 : ka > kb ? 1 : 0;
    })
    .map(([, row]) => row);
}

/** Every column a dataset row may hold, in schema order (for encoders and SQL views). */
export function columnNames(dataset: Dataset): string[] {
  return columnsOf(dataset).map((c) => c.name);
}
