/**
 * Reply layouts, written out from docs/rs485-protocol.md §6.2-6.4 (0-based offsets; field names are EKM's).
 * `kwh` = divided by the kWh scale (v3: always 10; v4: from kWh_Scale), `div10`/`div100` fixed
 * divisors, `int` an unsigned integer, `pf` a Cos_Theta (§6.6), `text` raw digits kept as text,
 * `hex` raw bytes as lower-case hex text, `skip` reserved/checked elsewhere.
 */
export type FieldType = 'kwh' | 'div10' | 'div100' | 'int' | 'pf' | 'text' | 'hex' | 'skip';

export interface FieldSpec {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly type: FieldType;
}

function table(rows: readonly [string, number, FieldType][], start: number): FieldSpec[] {
  const out: FieldSpec[] = [];
  let offset = start;
  for (const [name, length, type] of rows) {
    out.push({ name, offset, length, type });
    offset += length;
  }
  return out;
}

const HEADER: readonly [string, number, FieldType][] = [
  ['Model', 2, 'hex'],
  ['Firmware', 1, 'hex'],
  ['Meter_Address', 12, 'text'],
];

/** §6.2 v3 reply. */
export const V3_LAYOUT: readonly FieldSpec[] = table(
  [
    ...HEADER,
    ['kWh_Tot', 8, 'kwh'],
    ['kWh_Tariff_1', 8, 'kwh'],
    ['kWh_Tariff_2', 8, 'kwh'],
    ['kWh_Tariff_3', 8, 'kwh'],
    ['kWh_Tariff_4', 8, 'kwh'],
    ['Rev_kWh_Tot', 8, 'kwh'],
    ['Rev_kWh_Tariff_1', 8, 'kwh'],
    ['Rev_kWh_Tariff_2', 8, 'kwh'],
    ['Rev_kWh_Tariff_3', 8, 'kwh'],
    ['Rev_kWh_Tariff_4', 8, 'kwh'],
    ['RMS_Volts_Ln_1', 4, 'div10'],
    ['RMS_Volts_Ln_2', 4, 'div10'],
    ['RMS_Volts_Ln_3', 4, 'div10'],
    ['Amps_Ln_1', 5, 'div10'],
    ['Amps_Ln_2', 5, 'div10'],
    ['Amps_Ln_3', 5, 'div10'],
    ['RMS_Watts_Ln_1', 7, 'int'],
    ['RMS_Watts_Ln_2', 7, 'int'],
    ['RMS_Watts_Ln_3', 7, 'int'],
    ['RMS_Watts_Tot', 7, 'int'],
    ['Cos_Theta_Ln_1', 4, 'pf'],
    ['Cos_Theta_Ln_2', 4, 'pf'],
    ['Cos_Theta_Ln_3', 4, 'pf'],
    ['RMS_Watts_Max_Demand', 8, 'kwh'],
    ['Max_Demand_Period', 1, 'int'],
    ['Meter_Time', 14, 'text'],
    ['CT_Ratio', 4, 'int'],
    ['Pulse_Cnt_1', 8, 'int'],
    ['Pulse_Cnt_2', 8, 'int'],
    ['Pulse_Cnt_3', 8, 'int'],
    ['Pulse_Ratio_1', 4, 'int'],
    ['Pulse_Ratio_2', 4, 'int'],
    ['Pulse_Ratio_3', 4, 'int'],
    ['State_Inputs', 3, 'int'],
    ['reserved_11', 19, 'skip'],
    ['Meter_Status_Code', 1, 'hex'],
  ],
  1,
);

/** §6.3 v4 A reply. */
export const V4A_LAYOUT: readonly FieldSpec[] = table(
  [
    ...HEADER,
    ['kWh_Tot', 8, 'kwh'],
    ['Reactive_Energy_Tot', 8, 'kwh'],
    ['Rev_kWh_Tot', 8, 'kwh'],
    ['kWh_Ln_1', 8, 'kwh'],
    ['kWh_Ln_2', 8, 'kwh'],
    ['kWh_Ln_3', 8, 'kwh'],
    ['Rev_kWh_Ln_1', 8, 'kwh'],
    ['Rev_kWh_Ln_2', 8, 'kwh'],
    ['Rev_kWh_Ln_3', 8, 'kwh'],
    ['kWh_Rst', 8, 'kwh'],
    ['Rev_kWh_Rst', 8, 'kwh'],
    ['RMS_Volts_Ln_1', 4, 'div10'],
    ['RMS_Volts_Ln_2', 4, 'div10'],
    ['RMS_Volts_Ln_3', 4, 'div10'],
    ['Amps_Ln_1', 5, 'div10'],
    ['Amps_Ln_2', 5, 'div10'],
    ['Amps_Ln_3', 5, 'div10'],
    ['RMS_Watts_Ln_1', 7, 'int'],
    ['RMS_Watts_Ln_2', 7, 'int'],
    ['RMS_Watts_Ln_3', 7, 'int'],
    ['RMS_Watts_Tot', 7, 'int'],
    ['Cos_Theta_Ln_1', 4, 'pf'],
    ['Cos_Theta_Ln_2', 4, 'pf'],
    ['Cos_Theta_Ln_3', 4, 'pf'],
    ['Reactive_Pwr_Ln_1', 7, 'int'],
    ['Reactive_Pwr_Ln_2', 7, 'int'],
    ['Reactive_Pwr_Ln_3', 7, 'int'],
    ['Reactive_Pwr_Tot', 7, 'int'],
    ['Line_Freq', 4, 'div100'],
    ['Pulse_Cnt_1', 8, 'int'],
    ['Pulse_Cnt_2', 8, 'int'],
    ['Pulse_Cnt_3', 8, 'int'],
    ['State_Inputs', 1, 'int'],
    ['State_Watts_Dir', 1, 'int'],
    ['State_Out', 1, 'int'],
    ['kWh_Scale', 1, 'int'],
    ['reserved_2', 2, 'skip'],
    ['Meter_Time', 14, 'text'],
    ['Request_Type', 2, 'skip'],
  ],
  1,
);

/** §6.4 v4 B reply. */
export const V4B_LAYOUT: readonly FieldSpec[] = table(
  [
    ...HEADER,
    ['kWh_Tariff_1', 8, 'kwh'],
    ['kWh_Tariff_2', 8, 'kwh'],
    ['kWh_Tariff_3', 8, 'kwh'],
    ['kWh_Tariff_4', 8, 'kwh'],
    ['Rev_kWh_Tariff_1', 8, 'kwh'],
    ['Rev_kWh_Tariff_2', 8, 'kwh'],
    ['Rev_kWh_Tariff_3', 8, 'kwh'],
    ['Rev_kWh_Tariff_4', 8, 'kwh'],
    ['RMS_Volts_Ln_1', 4, 'div10'],
    ['RMS_Volts_Ln_2', 4, 'div10'],
    ['RMS_Volts_Ln_3', 4, 'div10'],
    ['Amps_Ln_1', 5, 'div10'],
    ['Amps_Ln_2', 5, 'div10'],
    ['Amps_Ln_3', 5, 'div10'],
    ['RMS_Watts_Ln_1', 7, 'int'],
    ['RMS_Watts_Ln_2', 7, 'int'],
    ['RMS_Watts_Ln_3', 7, 'int'],
    ['RMS_Watts_Tot', 7, 'int'],
    ['Cos_Theta_Ln_1', 4, 'pf'],
    ['Cos_Theta_Ln_2', 4, 'pf'],
    ['Cos_Theta_Ln_3', 4, 'pf'],
    ['RMS_Watts_Max_Demand', 8, 'div10'],
    ['Max_Demand_Period', 1, 'int'],
    ['Pulse_Ratio_1', 4, 'int'],
    ['Pulse_Ratio_2', 4, 'int'],
    ['Pulse_Ratio_3', 4, 'int'],
    ['CT_Ratio', 4, 'int'],
    ['Max_Demand_Rst', 1, 'int'],
    ['CF_Ratio', 4, 'int'],
    ['reserved_7', 53, 'skip'],
    ['Meter_Status_Code_A', 1, 'hex'],
    ['Meter_Status_Code_B', 1, 'hex'],
    ['Meter_Status_Code_C', 1, 'hex'],
    ['Meter_Time', 14, 'text'],
    ['Request_Type', 2, 'skip'],
  ],
  1,
);
