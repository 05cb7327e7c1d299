/**
 * Edge readings against readings the lake already accepted for the same meter and time.
 *
 * An edge reading is billed data: once the lake holds a (meter, time) from a gateway, a later batch
 * may repeat it unchanged (a re-send: harmless, the views and compaction keep one row) but never
 * change it. A batch carrying a different value for an accepted (meter, time) is refused as a whole
 * with one issue per differing field, naming the meter, the time, the field, both values.
 */
import { ekmFieldOf } from '../parquet/lake-schema';
import { type CellValue, type LakeRow, readingToRow } from '../parquet/rows';
import type { Reading } from '../readings/reading';
import type { EdgeIssue } from './edge-batch';

/** Columns that identify a row or describe the file, not the reading's values. */
const IDENTITY = new Set(['meter', 'time', 'source', 'schema_version']);

function sameCell(column: string, a: CellValue | undefined, b: CellValue | undefined): boolean {
  const x = a ?? null;
  const y = b ?? null;
  if (x === y) return true;
  if (column === 'extra' && typeof x === 'string' && typeof y === 'string') {
    // Same fields in another order are the same reading.
    const canon = (text: string) => JSON.stringify(Object.entries(JSON.parse(text) as object).sort());
    return canon(x) === canon(y);
  }
  return false;
}

function show(value: CellValue | undefined): string {
  return value === null || value === undefined ? 'absent' : JSON.stringify(value);
}

/**
 * Differences between a batch's readings and accepted rows (any object of the gateway's partition
 * other than the batch's own). Empty when every reading is new or an exact repeat.
 */
export function edgeReadingConflicts(readings: readonly Reading[], accepted: readonly LakeRow[]): EdgeIssue[] {
  const byKey = new Map<string, LakeRow[]>();
  for (const row of accepted) {
    if (row.source !== 'edge') continue;
    const key = `${row.meter}|${row.time}`;
    const list = byKey.get(key);
    if (list) list.push(row);
    else byKey.set(key, [row]);
  }
  const issues: EdgeIssue[] = [];
  readings.forEach((reading, i) => {
    const held = byKey.get(`${reading.meter}|${reading.timeMs}`);
    if (!held) return;
    const mapped = readingToRow(reading);
    if ('rejected' in mapped) return; // validation refuses it already
    const columns = new Set<string>();
    for (const row of held)
      for (const column of new Set([...Object.keys(row), ...Object.keys(mapped.row)]))
        if (!IDENTITY.has(column) && !sameCell(column, row[column], mapped.row[column])) columns.add(column);
    for (const column of [...columns].sort()) {
      const field = ekmFieldOf(column);
      const path = ['good', 'protocol', 'via', 'extra'].includes(column)
        ? `readings[${i}].${column}`
        : `readings[${i}].fields.${field}`;
      issues.push({
        path,
        message: `meter ${reading.meter} at ${new Date(reading.timeMs).toISOString()}: ${field} was accepted as ${show(held[0]![column])}, this batch has ${show(mapped.row[column])}`,
      });
    }
  });
  return issues;
}
