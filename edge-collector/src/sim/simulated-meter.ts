/**
 * The state of one simulated Omnimeter and the replies it builds (pure: time comes in as a value).
 * Registers advance with every read so consecutive readings differ; relays change State_Out.
 */
import { buildReply } from '../codec/encode';
import type { MeterFamily } from '../protocol/exchange';

export interface SimMeterSpec {
  readonly address: string;
  readonly family: MeterFamily;
  readonly password?: string;
}

export class SimulatedMeter {
  readonly address: string;
  readonly family: MeterFamily;
  readonly password: string;
  /** Relay 1 and 2: true = closed (on). */
  readonly relays: [boolean, boolean] = [false, false];
  /** Meter clock minus host clock (ms), changed by set-time. */
  clockOffsetMs = 0;
  ctRatio = 200;
  reads = 0;
  private readonly seed: number;

  constructor(spec: SimMeterSpec) {
    this.address = spec.address;
    this.family = spec.family;
    this.password = spec.password ?? '00000000';
    this.seed = Number(spec.address.slice(-4));
  }

  /** State_Out: 1 OffOff, 2 OffOn, 3 OnOff, 4 OnOn (docs/rs485-protocol.md §6.5; relay 1 is the first). */
  get stateOut(): number {
    return 1 + (this.relays[0] ? 2 : 0) + (this.relays[1] ? 1 : 0);
  }

  /** Meter_Time `YYMMDDWWhhmmss`, weekday Sunday = 01. */
  meterTime(nowMs: number): string {
    const d = new Date(nowMs + this.clockOffsetMs);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCDay() + 1)}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  }

  /** Apply a meter clock from a set-time command's data. */
  setClock(data: string, nowMs: number): boolean {
    const m = /^(\d{2})(\d{2})(\d{2})\d{2}(\d{2})(\d{2})(\d{2})$/.exec(data);
    if (!m) return false;
    const [, yy, mo, dd, hh, mi, ss] = m.map(Number) as number[];
    const target = Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!, ss!);
    this.clockOffsetMs = target - nowMs;
    return true;
  }

  reply(block: 'v3' | 'A' | 'B', nowMs: number): Uint8Array {
    this.reads++;
    const wh = 1_234_500 + this.seed * 10 + this.reads * 7; // Wh; grows every read
    const watts = 1000 + (this.seed % 500) + (this.reads % 17);
    const volts = String(1200 + (this.reads % 9)).padStart(4, '0');
    const common = {
      RMS_Volts_Ln_1: volts,
      RMS_Volts_Ln_2: '1198',
      RMS_Volts_Ln_3: '0000',
      Amps_Ln_1: '00083',
      Amps_Ln_2: '00041',
      RMS_Watts_Ln_1: watts,
      RMS_Watts_Ln_2: 480,
      RMS_Watts_Tot: watts + 480,
      Cos_Theta_Ln_1: 'C099',
      Cos_Theta_Ln_2: 'L097',
      Cos_Theta_Ln_3: 'C000',
      Meter_Time: this.meterTime(nowMs),
    };
    if (block === 'v3') {
      return buildReply({
        kind: 'v3',
        address: this.address,
        raw: { ...common, kWh_Tot: Math.round(wh / 100), CT_Ratio: this.ctRatio, Max_Demand_Period: 1 },
      });
    }
    if (block === 'A') {
      return buildReply({
        kind: 'v4a',
        address: this.address,
        raw: {
          ...common,
          kWh_Tot: Math.round(wh / 10),
          kWh_Ln_1: Math.round(wh / 20),
          kWh_Rst: Math.round(wh / 10),
          Line_Freq: 6001,
          State_Watts_Dir: '1',
          State_Out: String(this.stateOut),
          kWh_Scale: '2',
          Pulse_Cnt_1: this.reads,
        },
      });
    }
    return buildReply({
      kind: 'v4b',
      address: this.address,
      raw: {
        ...common,
        kWh_Tariff_1: Math.round(wh / 20),
        kWh_Tariff_2: Math.round(wh / 20),
        CT_Ratio: this.ctRatio,
        Max_Demand_Period: 1,
        Pulse_Ratio_1: 1000,
        CF_Ratio: 800,
        RMS_Watts_Max_Demand: '00226400',
      },
    });
  }
}
