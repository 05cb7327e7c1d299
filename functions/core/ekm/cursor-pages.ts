import { shardOf } from '../parquet/object-keys';

/**
 * Where a meter's ingest cursor is kept: one of 64 pages per (dataset, key alias), each page one
 * DynamoDB item holding the cursors of its meters (adapters/dynamo-ingest-state.ts). A run that
 * moves 10,000 cursors then writes tens of items instead of 10,000 (one request and one write unit
 * per meter before).
 *
 * The page is the meter's lake shard for 64 shards (FNV-1a of the id, core/parquet/object-keys.ts),
 * so with a shard count that divides 64 (1, 2, 4, 8, 16, 32, 64) every page lies inside one lake
 * shard: a run that orders meters by shard, then page, writes each page about once.
 */
export const CURSOR_PAGES = 64;

export function cursorPageOf(meter: string): number {
  return shardOf(meter, CURSOR_PAGES);
}
