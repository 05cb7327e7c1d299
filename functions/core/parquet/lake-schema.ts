/**
 * The lake's table schemas, versioned. One place says which column holds which EKM field and with
 * which Parquet type, so the writer, the compactor, the query views and the README cannot drift.
 *
 * Version history:
 * - v1: first layout. Readings: metadata + every known EKM realtime field (v3 and v4 in one table,
 *   absent fields null) + `extra` (JSON of unknown fields, so nothing EKM sends is lost).
 *   Summaries: one row per (meter, bucket, report) with `<Field>_<Agg>` DOUBLE columns.
 * - v1 + `intervals` (its own `schema_version` = {@link INTERVALS_SCHEMA_VERSION}, 1): derived by
 *   compaction, one row per (meter, 15-minute interval start UTC) with energy, demand, the source
 *   chosen for the interval and whether it was estimated (functions/core/parquet/intervals.ts).
 *   The other datasets are unchanged, so their files keep `schema_version` 1.
 */
export const LAKE_SCHEMA_VERSION = 1;

/** Parquet physical/logical type of a column as the lake writes it. */
export type ColumnType =
  /** INT64 TIMESTAMP(isAdjustedToUTC = true, MILLIS). */
  | 'timestamp'
  /** BYTE_ARRAY UTF8. */
  | 'string'
  /** DOUBLE: measured values (kWh, volts, amps, watts, Hz, counters). */
  | 'double'
  /** INT32: states, enums and settings (`State_Watts_Dir`, `CT_Ratio`, `Power_Factor_Ln_1`). */
  | 'int'
  | 'bool'
  /** BYTE_ARRAY UTF8 holding a JSON object. */
  | 'json';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** A dataset of the lake. `quarantine` holds malformed input with its reason (never silently dropped). */
export type Dataset = 'realtime' | 'summary' | 'quarantine' | 'intervals';
export const DATASETS: readonly Dataset[] = ['realtime', 'summary', 'quarantine', 'intervals'];

/** Version of the `intervals` dataset's columns (its rows' `schema_version`); bump on a change. */
export const INTERVALS_SCHEMA_VERSION = 1;

const range = (prefix: string, n: number, suffix = ''): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + 1}${suffix}`);

/** EKM counters: cumulative registers (kWh, pulses). Stored as DOUBLE; summaries give First/Last/Diff/Min/Max. */
export const COUNTER_FIELDS: readonly string[] = [
  'kWh_Tot',
  ...range('kWh_Tariff_', 4),
  'Rev_kWh_Tot',
  ...range('Rev_kWh_Tariff_', 4),
  'Reactive_Energy_Tot',
  'kWh_Rst',
  'Rev_kWh_Rst',
  ...range('kWh_Ln_', 3),
  ...range('Rev_kWh_Ln_', 3),
  ...range('Pulse_Cnt_', 3),
];

/** EKM instantaneous measurements. Stored as DOUBLE; summaries give Average/Min/Max/StdDev. */
export const INSTANT_FIELDS: readonly string[] = [
  ...range('RMS_Volts_Ln_', 3),
  ...range('Amps_Ln_', 3),
  ...range('RMS_Watts_Ln_', 3),
  'RMS_Watts_Tot',
  'RMS_Watts_Max_Demand',
  ...range('Reactive_Pwr_Ln_', 3),
  'Reactive_Pwr_Tot',
  'Line_Freq',
  ...range('Net_Calc_Watts_Ln_', 3),
  'Net_Calc_Watts_Tot',
];

/** EKM states, enums and integer settings: INT32. */
export const STATE_FIELDS: readonly string[] = [
  'Good_Reads_Ratio',
  'Read_Attempts',
  ...range('Power_Factor_Ln_', 3),
  'Max_Demand_Period',
  'CT_Ratio',
  ...range('Pulse_Ratio_', 3),
  'State_Inputs',
  'State_Watts_Dir',
  'State_Out',
  'kWh_Scale',
  'CF_Ratio',
  'Max_Demand_Rst',
];

/**
 * EKM fields that are text by definition (`Cos_Theta_Ln_1` = "0.96 L", `Meter_Time` = 14 digits with
 * leading zeros, diagnostics). `PERR.NR`/`PERR.RXP` are stored as `PERR_NR`/`PERR_RXP`: a dot in a
 * column name breaks Athena/Hive, so this is the one documented rename.
 */
export const TEXT_FIELDS: readonly string[] = [
  ...range('Cos_Theta_Ln_', 3),
  'Meter_Time',
  'Firmware',
  'Model',
  'Meter_Status_Code',
  'Meter_Status_Code_A',
  'Meter_Status_Code_B',
  'Meter_Status_Code_C',
  'PERR_NR',
  'PERR_RXP',
];

/** EKM field name → lake column name (identity except for the dotted diagnostics). */
export function columnNameOf(ekmField: string): string {
  return ekmField.includes('.') ? ekmField.replace(/\./g, '_') : ekmField;
}

/** Lake column name → EKM field name (inverse of {@link columnNameOf} for the known renames). */
export function ekmFieldOf(column: string): string {
  return column === 'PERR_NR' ? 'PERR.NR' : column === 'PERR_RXP' ? 'PERR.RXP' : column;
}

const col = (name: string, type: ColumnType, nullable = true): ColumnSpec => ({ name, type, nullable });

/** Reading metadata columns, first in every readings file. */
export const READING_META_COLUMNS: readonly ColumnSpec[] = [
  col('meter', 'string', false),
  col('time', 'timestamp', false),
  col('good', 'bool', false),
  col('protocol', 'string'),
  col('source', 'string', false),
  col('via', 'string', false),
  col('schema_version', 'int', false),
];

/** Columns of the `realtime` dataset (also holds `source = summary` gap fills and `source = edge` reads). */
export const READING_COLUMNS: readonly ColumnSpec[] = [
  ...READING_META_COLUMNS,
  ...COUNTER_FIELDS.map((f) => col(f, 'double')),
  ...INSTANT_FIELDS.map((f) => col(f, 'double')),
  ...STATE_FIELDS.map((f) => col(f, 'int')),
  ...TEXT_FIELDS.map((f) => col(f, 'string')),
  col('extra', 'json'),
];

/** Aggregates kept as columns in the `summary` dataset; other aggregates go to `extra`. */
export const COUNTER_AGGREGATES = ['First', 'Last', 'Diff', 'Min', 'Max'] as const;
export const INSTANT_AGGREGATES = ['Average', 'Min', 'Max', 'StdDev'] as const;

/** Columns of the `summary` dataset: one row per (meter, bucket start, report). */
export const SUMMARY_COLUMNS: readonly ColumnSpec[] = [
  col('meter', 'string', false),
  col('time', 'timestamp', false),
  col('end_time', 'timestamp', false),
  col('report', 'string', false),
  col('source', 'string', false),
  col('via', 'string', false),
  col('schema_version', 'int', false),
  ...COUNTER_FIELDS.flatMap((f) => COUNTER_AGGREGATES.map((a) => col(`${f}_${a}`, 'double'))),
  ...INSTANT_FIELDS.flatMap((f) => INSTANT_AGGREGATES.map((a) => col(`${f}_${a}`, 'double'))),
  col('extra', 'json'),
];

/** Columns of the `quarantine` dataset: malformed input with the reason it was rejected. */
export const QUARANTINE_COLUMNS: readonly ColumnSpec[] = [
  col('detected_at', 'timestamp', false),
  col('meter', 'string'),
  col('time', 'timestamp'),
  col('source', 'string', false),
  col('via', 'string', false),
  col('reason', 'string', false),
  col('raw', 'json', false),
  col('schema_version', 'int', false),
];

/**
 * Columns of the `intervals` dataset (derived, written by compaction): one row per meter and
 * 15-minute interval that the day's reads measure. `kWh` is forward energy (`kWh_Tot − Rev_kWh_Tot`
 * when the meter reports reverse energy), `kWh_start`/`kWh_end` the cleaned forward register
 * interpolated at the interval's boundaries (the billing engine re-assembles a month from them,
 * functions/adapters/lake-readings.ts), `max_kW` the highest `RMS_Watts_Tot` read inside the
 * interval in kW (a summary's `RMS_Watts_Tot_Max`), `source` the reads used (realtime, edge or
 * summary) and `estimated` whether the interval lies in a gap over an hour between reads
 * (functions/core/billing/usage.ts).
 */
export const INTERVAL_COLUMNS: readonly ColumnSpec[] = [
  col('meter', 'string', false),
  col('time', 'timestamp', false),
  col('kWh', 'double', false),
  col('Rev_kWh', 'double'),
  col('max_kW', 'double'),
  col('source', 'string', false),
  col('estimated', 'bool', false),
  col('kWh_start', 'double', false),
  col('kWh_end', 'double', false),
  col('Rev_kWh_start', 'double'),
  col('Rev_kWh_end', 'double'),
  col('schema_version', 'int', false),
];

/**
 * A factory of empty rows (every column null, in schema order). Each row is a spread copy of one
 * template; V8 clones such a copy from the template's layout in one step, so all rows of a dataset
 * share one object shape, which keeps the encoder's per-row reads fast (encode.ts).
 */
export function emptyRowFactory(columns: readonly ColumnSpec[]): () => Record<string, null> {
  // Object.fromEntries keeps the template in fast (shape) mode; ~80 keyed stores into `{}` would not.
  // Not frozen: spreading a frozen object takes V8's slow path (about 5× slower per row). The
  // template never leaves this closure.
  const template: Readonly<Record<string, null>> = Object.fromEntries(columns.map((c) => [c.name, null]));
  return () => ({ ...template });
}

/** The columns of a dataset. */
export function columnsOf(dataset: Dataset): readonly ColumnSpec[] {
  return dataset === 'realtime'
    ? READING_COLUMNS
    : dataset === 'summary'
      ? SUMMARY_COLUMNS
      : dataset === 'intervals'
        ? INTERVAL_COLUMNS
        : QUARANTINE_COLUMNS;
}
