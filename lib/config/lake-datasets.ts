import { type ColumnType, columnsOf, DATASETS } from '../../functions/core/parquet/lake-schema';
import type { LakeDataset } from '../constructs/readings-lake';

/** Parquet column type as Athena/Glue (Hive) names it. */
const HIVE_TYPE: Record<ColumnType, string> = {
  timestamp: 'timestamp',
  string: 'string',
  double: 'double',
  int: 'int',
  bool: 'boolean',
  json: 'string',
};

const DESCRIPTIONS: Record<string, string> = {
  realtime: 'EKM reads, one row per meter per read (realtime, summary gap fills, edge)',
  summary: 'EKM summary buckets, one row per meter per bucket',
  quarantine: 'Malformed input with the reason it was rejected',
  intervals: 'Derived by compaction: 15-minute energy and demand per meter (realtime, then edge, then summary reads)',
};

/**
 * The lake's datasets as Glue tables. Columns come from the lake's own versioned Parquet schema
 * (functions/core/parquet/lake-schema.ts), so Athena and the writer can never disagree.
 */
export function lakeDatasets(): LakeDataset[] {
  return DATASETS.map((name) => ({
    name,
    description: DESCRIPTIONS[name] ?? name,
    columns: columnsOf(name).map((c) => ({ name: c.name, type: HIVE_TYPE[c.type] })),
    // A read may sit in two objects until compaction (functions/use-cases/compact-lake.ts): the
    // `realtime` view shows it once, as DuckDB's does (functions/adapters/duckdb-lake.ts).
    ...(name === 'realtime' ? { uniqueBy: ['meter', 'time', 'source'] } : {}),
  }));
}
