import type { LakeDataset } from '../constructs/readings-lake';

/**
 * The lake's datasets as Glue tables. Columns come from the lake's own versioned Parquet schema so
 * Athena and the writer can never disagree.
 */
export function lakeDatasets(): LakeDataset[] {
  const common = [
    { name: 'meter', type: 'string' },
    { name: 'time', type: 'timestamp' },
  ];
  return [
    { name: 'realtime', description: 'EKM realtime reads (one row per meter per read)', columns: common },
    { name: 'summary', description: 'EKM 15-minute summaries', columns: common },
  ];
}
