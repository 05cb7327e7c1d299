import type { MeterProtocol } from '../readings/reading';

/**
 * The EKM field catalog: every Realtime field name the pipeline knows, per protocol, with its value
 * type. One module for the client (field validation, decimal-string parsing), the local EKM cloud
 * (what a v3/v4 read contains), the lake (Parquet columns) and the trigger and edge work.
 * Sources: docs/ekm-push-apis.md §2.6 (EKM's field reference, ekmmeters.py field blocks, client code).
 */

/** `number`: EKM sends decimal text (or a JSON number) that the client parses; `text`: kept as a string. */
export type FieldKind = 'number' | 'text';

/**
 * `counter`: a cumulative register that only grows (kWh, pulse counts); summaries aggregate it with
 * First/Last/Diff/Min/Max/DeltaMax. `gauge`: an instantaneous value (Average/StdDev/Min/Max).
 * `setting`/`state`/`meta`: configuration, enumerations and read metadata (no summary aggregates).
 */
export type FieldRole = 'counter' | 'gauge' | 'setting' | 'state' | 'meta';

/** One EKM realtime field: its name, value kind, role, the protocols that report it and its unit. */
export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly role: FieldRole;
  readonly protocols: readonly MeterProtocol[];
  readonly unit?: string;
}

const V34: readonly MeterProtocol[] = ['v3', 'v4', 'v5'];
const V4: readonly MeterProtocol[] = ['v4', 'v5'];
const V3: readonly MeterProtocol[] = ['v3'];

function lines(prefix: string, n = 3): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
}

function specs(
  names: readonly string[],
  kind: FieldKind,
  role: FieldRole,
  protocols: readonly MeterProtocol[],
  unit?: string,
): FieldSpec[] {
  return names.map((name) => (unit ? { name, kind, role, protocols, unit } : { name, kind, role, protocols }));
}

/** Read metadata present on every read; not repeated in `Reading.fields` except the ones listed as fields. */
export const METADATA_FIELDS = ['Good', 'Date', 'Time', 'Time_Stamp_UTC_ms'] as const;

/** Every realtime field in EKM's order (metadata first). */
export const FIELD_CATALOG: readonly FieldSpec[] = [
  ...specs(['Good', 'Time_Stamp_UTC_ms'], 'number', 'meta', V34),
  ...specs(['Good_Reads_Ratio', 'Read_Attempts'], 'number', 'meta', V34),
  ...specs(['Date', 'Time', 'Meter_Time', 'Firmware', 'Model'], 'text', 'meta', V34),
  ...specs(
    ['kWh_Tot', ...lines('kWh_Tariff_', 4), 'Rev_kWh_Tot', ...lines('Rev_kWh_Tariff_', 4)],
    'number',
    'counter',
    V34,
    'kWh',
  ),
  ...specs(lines('RMS_Volts_Ln_'), 'number', 'gauge', V34, 'V'),
  ...specs(lines('Amps_Ln_'), 'number', 'gauge', V34, 'A'),
  ...specs([...lines('RMS_Watts_Ln_'), 'RMS_Watts_Tot'], 'number', 'gauge', V34, 'W'),
  ...specs(lines('Power_Factor_Ln_'), 'number', 'gauge', V34),
  ...specs(lines('Cos_Theta_Ln_'), 'text', 'gauge', V34),
  ...specs(['RMS_Watts_Max_Demand'], 'number', 'gauge', V34, 'W'),
  ...specs(['Max_Demand_Period', 'CT_Ratio'], 'number', 'setting', V34),
  ...specs(['Meter_Status_Code'], 'number', 'state', V3),
  ...specs(lines('Pulse_Cnt_'), 'number', 'counter', V34, 'pulses'),
  ...specs(lines('Pulse_Ratio_'), 'number', 'setting', V34),
  ...specs(['State_Inputs'], 'number', 'state', V34),
  ...specs(['Reactive_Energy_Tot'], 'number', 'counter', V4, 'kVARh'),
  ...specs(['kWh_Rst', 'Rev_kWh_Rst', ...lines('kWh_Ln_'), ...lines('Rev_kWh_Ln_')], 'number', 'counter', V4, 'kWh'),
  ...specs([...lines('Reactive_Pwr_Ln_'), 'Reactive_Pwr_Tot'], 'number', 'gauge', V4, 'VAR'),
  ...specs(['Line_Freq'], 'number', 'gauge', V4, 'Hz'),
  ...specs(['State_Watts_Dir', 'State_Out'], 'number', 'state', V4),
  ...specs(['kWh_Scale', 'CF_Ratio', 'Max_Demand_Rst'], 'number', 'setting', V4),
  ...specs(['Meter_Status_Code_A', 'Meter_Status_Code_B', 'Meter_Status_Code_C'], 'number', 'state', V4),
  ...specs([...lines('Net_Calc_Watts_Ln_'), 'Net_Calc_Watts_Tot'], 'number', 'gauge', V4, 'W'),
  // Read-error diagnostics on failed reads; the dot is part of EKM's key.
  ...specs(['PERR.NR', 'PERR.RXP'], 'number', 'state', V34),
];

const BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELD_CATALOG.map((f) => [f.name, f]));

/** The spec of a realtime field, or undefined when EKM's catalog does not list it. */
export function fieldSpec(name: string): FieldSpec | undefined {
  return BY_NAME.get(name);
}

/** True for fields whose value stays text (`Cos_Theta_Ln_1` = "0.99 C", `Meter_Time`, `Firmware`, `Model`). */
export function isTextField(name: string): boolean {
  return BY_NAME.get(name)?.kind === 'text';
}

/** Field names a meter of `protocol` reports (metadata included). */
export function fieldsForProtocol(protocol: MeterProtocol): string[] {
  return FIELD_CATALOG.filter((f) => f.protocols.includes(protocol)).map((f) => f.name);
}

/** Summary aggregate suffixes per role (docs/ekm-push-apis.md §3.5; `_DeltaMin` is not offered: never seen). */
export const SUMMARY_AGGREGATES: Readonly<Record<'counter' | 'gauge', readonly string[]>> = {
  counter: ['First', 'Last', 'Diff', 'Min', 'Max', 'DeltaMax'],
  gauge: ['Average', 'StdDev', 'Min', 'Max'],
};

/** Numeric counter/gauge fields that summaries aggregate, for a protocol. */
export function summaryBaseFields(protocol: MeterProtocol): FieldSpec[] {
  return FIELD_CATALOG.filter(
    (f) =>
      f.protocols.includes(protocol) &&
      f.kind === 'number' &&
      (f.role === 'counter' || f.role === 'gauge') &&
      !f.name.startsWith('PERR'),
  );
}

/** Every summary field name (`kWh_Tot_Diff`, `RMS_Volts_Ln_1_Average`, ...) a protocol can produce. */
export function summaryFieldNames(protocol: MeterProtocol): string[] {
  return summaryBaseFields(protocol).flatMap((f) =>
    SUMMARY_AGGREGATES[f.role === 'counter' ? 'counter' : 'gauge'].map((agg) => `${f.name}_${agg}`),
  );
}

const ALL_SUMMARY_FIELDS: ReadonlySet<string> = new Set([...summaryFieldNames('v3'), ...summaryFieldNames('v4')]);

/** True when `name` is a summary aggregate name some protocol produces. */
export function isSummaryField(name: string): boolean {
  return ALL_SUMMARY_FIELDS.has(name);
}

/**
 * Expand summary field patterns (`kWh_Tot*`, `RMS_Volts_Ln_1_Average`, or a base name such as
 * `kWh_Tot`, which means all its aggregates) against the known summary names. Returns the matches
 * per pattern; an empty match list means the pattern names nothing EKM produces.
 */
export function matchSummaryFields(pattern: string, candidates: Iterable<string> = ALL_SUMMARY_FIELDS): string[] {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const exact = new RegExp(`^${escaped}$`);
  const asBase = pattern.includes('*') ? undefined : new RegExp(`^${escaped}_[A-Za-z]+$`);
  const out: string[] = [];
  for (const name of candidates) if (exact.test(name) || asBase?.test(name)) out.push(name);
  return out;
}
