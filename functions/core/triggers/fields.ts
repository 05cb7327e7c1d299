/**
 * Field names a data condition may watch. Until the shared EKM field catalog
 * (functions/core/ekm/field-catalog.ts) lands, this local list covers the measured and setting
 * fields of v3 and v4 Omnimeters documented in shared/ekm/cloud-api.md §2.5.
 */
const LINES = [1, 2, 3] as const;
const perLine = (base: string) => LINES.map((n) => `${base}_Ln_${n}`);

const V3_FIELDS = [
  'kWh_Tot',
  'kWh_Tariff_1',
  'kWh_Tariff_2',
  'kWh_Tariff_3',
  'kWh_Tariff_4',
  'Rev_kWh_Tot',
  'Rev_kWh_Tariff_1',
  'Rev_kWh_Tariff_2',
  'Rev_kWh_Tariff_3',
  'Rev_kWh_Tariff_4',
  ...perLine('RMS_Volts'),
  ...perLine('Amps'),
  ...perLine('RMS_Watts'),
  'RMS_Watts_Tot',
  ...perLine('Power_Factor'),
  ...perLine('Cos_Theta'),
  'RMS_Watts_Max_Demand',
  'Max_Demand_Period',
  'CT_Ratio',
  'Meter_Status_Code',
  'Pulse_Cnt_1',
  'Pulse_Cnt_2',
  'Pulse_Cnt_3',
  'Pulse_Ratio_1',
  'Pulse_Ratio_2',
  'Pulse_Ratio_3',
  'State_Inputs',
];

const V4_ONLY = [
  ...perLine('kWh'),
  ...perLine('Rev_kWh'),
  'Reactive_Energy_Tot',
  ...perLine('Reactive_Pwr'),
  'Reactive_Pwr_Tot',
  'Line_Freq',
  'kWh_Rst',
  'Rev_kWh_Rst',
  'Resettable_kWh_Tot',
  'Resettable_Rev_kWh_Tot',
  ...perLine('Net_Calc_Watts'),
  'Net_Calc_Watts_Tot',
  'State_Watts_Dir',
  'State_Out',
  'kWh_Scale',
  'Max_Demand_Rst',
  'CF_Ratio',
];

/** Known field names per meter protocol (v5 reads like v4 here). */
export const LOCAL_TRIGGER_FIELDS: Readonly<Record<'v3' | 'v4', ReadonlySet<string>>> = {
  v3: new Set(V3_FIELDS),
  v4: new Set([...V3_FIELDS, ...V4_ONLY]),
};

/** All names any meter may have: used when the meter's protocol is not known yet (no Account API). */
export const ALL_TRIGGER_FIELDS: ReadonlySet<string> = LOCAL_TRIGGER_FIELDS.v4;

/** Up to three known names closest to `name` (case-insensitive prefix/edit distance), for "did you mean". */
export function suggestFields(name: string, known: ReadonlySet<string>): string[] {
  const lower = name.toLowerCase();
  const scored = [...known].map((k) => ({ k, d: distance(lower, k.toLowerCase()) }));
  scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  return scored
    .filter((s) => s.d <= Math.max(2, Math.floor(name.length / 3)))
    .slice(0, 3)
    .map((s) => s.k);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}
