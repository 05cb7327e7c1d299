import { isMeterId } from '../readings/meter-id';
import { isMeterProtocol, type Reading } from '../readings/reading';
import { COL, type ColumnBatchBuilder, READING_COLUMN_INDEX } from './column-batch';
import { columnNameOf, LAKE_SCHEMA_VERSION, READING_COLUMNS } from './lake-schema';
import { type Rejected, readingToRow } from './rows';

/**
 * A {@link Reading} straight into a `realtime` {@link ColumnBatchBuilder} row, without the row object
 * of rows.ts `readingToRow`. Only readings whose row is plain are written here: a valid 12-digit
 * meter, time in 2000–2100, known source and protocol, every field a finite number in a DOUBLE
 * column, an int32 integer in an INT column, or a number/text in a text column. Anything else (an
 * unknown field for `extra`, decimal text, a value that does not fit) goes through `readingToRow`
 * itself, so rows and rejections are always the reference's (test/unit/lake-columns-writer.test.ts).
 */

const META = new Set(['meter', 'time', 'good', 'protocol', 'source', 'via', 'schema_version', 'extra']);
const MIN_TIME_MS = 946_684_800_000;
const MAX_TIME_MS = 4_102_444_800_000;
const SOURCES = new Set(['realtime', 'summary', 'edge']);

/** Column index and type of a field, or -1 when the field goes to `extra` (cached, bounded). */
const targets = new Map<string, number>();
function columnOf(field: string): number {
  let c = targets.get(field);
  if (c !== undefined) return c;
  const name = columnNameOf(field);
  c = META.has(name) ? -1 : (READING_COLUMN_INDEX.get(name) ?? -1);
  if (targets.size < 4096) targets.set(field, c);
  return c;
}

/** Per column, the serial of the last row that set it: two fields of one column (`PERR.NR`, `PERR_NR`) take the reference path. */
const setBy = new Float64Array(READING_COLUMNS.length).fill(-1);
let serial = 0;

/** True when the reading's metadata passes `readingToRow`'s checks. */
function plainMeta(r: Reading): boolean {
  return (
    typeof r.meter === 'string' &&
    isMeterId(r.meter) &&
    Number.isInteger(r.timeMs) &&
    r.timeMs >= MIN_TIME_MS &&
    r.timeMs < MAX_TIME_MS &&
    typeof r.good === 'boolean' &&
    SOURCES.has(r.source) &&
    typeof r.via === 'string' &&
    r.via !== '' &&
    (r.protocol === undefined || isMeterProtocol(r.protocol))
  );
}

/**
 * Append `reading` as one row of `builder`, or return why the lake refuses it (the rejection
 * `readingToRow` gives, with the same reason and raw JSON).
 */
export function appendReading(builder: ColumnBatchBuilder, reading: Reading): Rejected | undefined {
  if (plainMeta(reading)) {
    builder.beginRow();
    const row = serial++;
    let plain = true;
    const fields = reading.fields;
    for (const field in fields) {
      const v = fields[field];
      const c = columnOf(field);
      if (c < 0 || setBy[c] === row) {
        plain = false;
        break;
      }
      setBy[c] = row;
      const type = (READING_COLUMNS[c] as (typeof READING_COLUMNS)[number]).type;
      if (type === 'double' && typeof v === 'number' && Number.isFinite(v)) builder.setDouble(c, v);
      else if (type === 'int' && typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2_147_483_647)
        builder.setInt(c, v);
      else if (type === 'string' && (typeof v === 'number' || typeof v === 'string'))
        builder.setString(builder.columns[c]!, String(v));
      else {
        plain = false;
        break;
      }
    }
    if (plain) {
      builder.setString(builder.columns[COL.meter]!, reading.meter);
      builder.setDouble(COL.time, reading.timeMs);
      builder.setBool(COL.good, reading.good);
      if (reading.protocol !== undefined) builder.setString(builder.columns[COL.protocol]!, reading.protocol);
      builder.setString(builder.columns[COL.source]!, reading.source);
      builder.setString(builder.columns[COL.via]!, reading.via);
      builder.setInt(COL.schemaVersion, LAKE_SCHEMA_VERSION);
      builder.endRow();
      return undefined;
    }
    builder.abortRow();
  }
  const mapped = readingToRow(reading);
  if ('rejected' in mapped) return mapped.rejected;
  builder.appendRow(mapped.row);
  return undefined;
}
