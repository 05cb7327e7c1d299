import { decodeRows } from '../../functions/core/parquet/encode';
import { parseObjectKey } from '../../functions/core/parquet/object-keys';
import type { LakeRow } from '../../functions/core/parquet/rows';
import type { ObjectStore } from '../../functions/ports/object-store';
import { lakeObjectOrder } from '../../functions/use-cases/write-readings';

/**
 * The rows a query sees (the `realtime` views of adapters/duckdb-lake.ts and
 * lib/constructs/readings-lake.ts): every lake object under `under`, the compacted day objects
 * first, then by key, keeping the first row per date + meter + time + source. Realtime ingest
 * writes one object per run and window (write-readings.ts `writeRunObject`), so the stored objects
 * may hold a read twice until compaction; what a query answers must not.
 */
export async function visibleRows(store: ObjectStore, under: string): Promise<LakeRow[]> {
  const keys = (await store.list(under))
    .map((o) => o.key)
    .filter((k) => parseObjectKey(k) !== undefined)
    .sort(lakeObjectOrder);
  const seen = new Set<string>();
  const out: LakeRow[] = [];
  for (const key of keys) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    const date = parseObjectKey(key)!.date;
    for (const row of decodeRows(bytes)) {
      const id = `${date}|${row.meter}|${row.time}|${row.source}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(row);
    }
  }
  return out;
}

/** Every stored row under `under`, duplicates included (`realtime_objects`). */
export async function storedRows(store: ObjectStore, under: string): Promise<LakeRow[]> {
  const rows: LakeRow[] = [];
  for (const { key } of await store.list(under)) {
    const bytes = await store.get(key);
    if (bytes && parseObjectKey(key)) rows.push(...decodeRows(bytes));
  }
  return rows;
}

/** An object key without the content hash of a run object: the hour window and shard it belongs to. */
export function windowOfKey(key: string): string {
  return key.replace(/-[0-9a-f]{32}\.parquet$/, '.parquet');
}
