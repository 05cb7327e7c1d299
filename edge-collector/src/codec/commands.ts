/**
 * Host → meter frames (docs/rs485-protocol.md §3, §7). Request frames and the close string carry no CRC; every
 * password/write/table-read command carries EKM's CRC over everything after SOH up to and
 * including ETX. All builders validate their arguments and throw `CodecError('BAD_ARGUMENT')`.
 */
import { isMeterId } from '@ekm-pipeline/shared';
import { ekmCrcBytes } from './crc';
import { CodecError } from './errors';

const SOH = 0x01;
const STX = 0x02;
const ETX = 0x03;

/** Which block a read request asks for: the single v3 block, or v4/v5 block A or B. */
export type RequestBlock = 'v3' | 'A' | 'B';

/** The close string `SOH B0 ETX u` (docs/rs485-protocol.md §3.3: a fixed trailing 0x75, not a CRC). */
export const CLOSE_STRING: Uint8Array = Uint8Array.of(0x01, 0x42, 0x30, 0x03, 0x75);

/** The one-byte ACK a meter sends after a password or a write (docs/rs485-protocol.md §7.1). */
export const ACK = 0x06;

/** The wildcard address a lone meter on the bus answers (docs/rs485-protocol.md §3.1). */
export const WILDCARD_ADDRESS = '999999999999';

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function checkAddress(address: string): string {
  if (!isMeterId(address)) {
    throw new CodecError(
      'BAD_ARGUMENT',
      `meter address must be 12 digits (zero-padded, e.g. 000300001463), got ${JSON.stringify(address)}`,
    );
  }
  return address;
}

function intArg(name: string, value: number, min: number, max: number, width: number): string {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('BAD_ARGUMENT', `${name} must be an integer ${min}..${max}, got ${value}`);
  }
  return String(value).padStart(width, '0');
}

/** `/?` + address + (`00`|`01` for v4 A/B) + `!\r\n` (docs/rs485-protocol.md §3.2). */
export function readRequest(address: string, block: RequestBlock): Uint8Array {
  const selector = block === 'v3' ? '' : block === 'A' ? '00' : '01';
  return ascii(`/?${checkAddress(address)}${selector}!\r\n`);
}

/** `SOH <head> STX <body> ETX crc crc`, CRC over everything after SOH through ETX (docs/rs485-protocol.md §5.2). */
function sealed(head: string, body: string): Uint8Array {
  const inner = Uint8Array.from([...ascii(head), STX, ...ascii(body), ETX]);
  const [lo, hi] = ekmCrcBytes(inner);
  return Uint8Array.from([SOH, ...inner, lo, hi]);
}

/** `SOH P1 STX (password) ETX crc` (docs/rs485-protocol.md §7.1); the default password is `00000000`. */
export function passwordCommand(password = '00000000'): Uint8Array {
  if (!/^\d{8}$/.test(password)) {
    throw new CodecError('BAD_ARGUMENT', 'password must be exactly 8 digits (the default is 00000000)');
  }
  return sealed('P1', `(${password})`);
}

/** A generic write: `SOH W1 STX 00 <cmd> (<data>) ETX crc` (docs/rs485-protocol.md §7.2). */
export function writeCommand(cmd: string, data: string): Uint8Array {
  if (!/^[0-9A-F]{2}$/.test(cmd))
    throw new CodecError('BAD_ARGUMENT', `write command must be 2 characters 0-9A-F, got ${JSON.stringify(cmd)}`);
  if (!/^\d*$/.test(data))
    throw new CodecError('BAD_ARGUMENT', `write data must be decimal digits, got ${JSON.stringify(data)}`);
  return sealed('W1', `00${cmd}(${data})`);
}

/** A table read: `SOH R1 STX 00 <cmd> () ETX crc`; the meter answers with a 255-byte block. */
export function tableReadCommand(cmd: string): Uint8Array {
  if (!/^[0-9A-F]{2}$/.test(cmd))
    throw new CodecError('BAD_ARGUMENT', `table command must be 2 characters 0-9A-F, got ${JSON.stringify(cmd)}`);
  return sealed('R1', `00${cmd}()`);
}

/** Relay 1 or 2 to open/closed, held `seconds` (0 = hold until changed, max 9999). */
export function relayCommand(relay: 1 | 2, state: 'open' | 'close', seconds = 0): Uint8Array {
  if (relay !== 1 && relay !== 2) throw new CodecError('BAD_ARGUMENT', `relay must be 1 or 2, got ${relay}`);
  const digit = state === 'close' ? '1' : state === 'open' ? '0' : undefined;
  if (!digit) throw new CodecError('BAD_ARGUMENT', `relay state must be open or close, got ${JSON.stringify(state)}`);
  return writeCommand(`8${relay}`, `${digit}${intArg('relay seconds', seconds, 0, 9999, 4)}`);
}

/** Wall-clock parts for set-time; the meter clock has no zone (docs/rs485-protocol.md §6.7). */
export interface MeterClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/**
 * Set the meter clock (`60`, data `YYMMDDWWhhmmss`). The weekday is written Sunday = 01 …
 * Saturday = 07, as EKM Dash and the meters do; EKM's Python library writes ISO weekdays, which is
 * a known bug we deliberately do not copy (docs/rs485-protocol.md §6.7).
 */
export function setTimeCommand(t: MeterClock): Uint8Array {
  intArg('year', t.year, 2000, 2099, 4);
  const date = new Date(Date.UTC(t.year, t.month - 1, t.day));
  if (date.getUTCMonth() !== t.month - 1 || date.getUTCDate() !== t.day) {
    throw new CodecError('BAD_ARGUMENT', `no such date ${t.year}-${t.month}-${t.day}`);
  }
  const weekday = date.getUTCDay() + 1;
  return writeCommand(
    '60',
    [
      intArg('year', t.year % 100, 0, 99, 2),
      intArg('month', t.month, 1, 12, 2),
      intArg('day', t.day, 1, 31, 2),
      String(weekday).padStart(2, '0'),
      intArg('hour', t.hour, 0, 23, 2),
      intArg('minute', t.minute, 0, 59, 2),
      intArg('second', t.second, 0, 59, 2),
    ].join(''),
  );
}

/** CT ratios the meter accepts (docs/rs485-protocol.md §7.4). */
export const CT_RATIOS = [100, 200, 400, 600, 800, 1000, 1200, 1500, 2000, 3000, 4000, 5000] as const;

/** Set the CT ratio (`D0`, 4 digits). */
export function ctRatioCommand(amps: number): Uint8Array {
  if (!(CT_RATIOS as readonly number[]).includes(amps)) {
    throw new CodecError('BAD_ARGUMENT', `CT ratio must be one of ${CT_RATIOS.join(', ')}, got ${amps}`);
  }
  return writeCommand('D0', String(amps).padStart(4, '0'));
}

/** Max-demand period (`50`): 1 = 15 min, 2 = 30 min, 3 = 60 min. */
export function maxDemandPeriodCommand(period: number): Uint8Array {
  return writeCommand('50', intArg('max-demand period', period, 1, 3, 1));
}

/** Max-demand auto-reset interval (`D5`): 0 off, 1 monthly, 2 weekly, 3 daily, 4 hourly. */
export function maxDemandResetIntervalCommand(interval: number): Uint8Array {
  return writeCommand('D5', intArg('max-demand reset interval', interval, 0, 4, 1));
}

/** Reset max demand now (`40`, data `000000`). */
export function maxDemandResetNowCommand(): Uint8Array {
  return writeCommand('40', '000000');
}

/** Pulse-input ratio for input 1..3 (`A0`..`A2`, 4 digits). */
export function pulseInputRatioCommand(input: number, ratio: number): Uint8Array {
  intArg('pulse input', input, 1, 3, 1);
  return writeCommand(`A${input - 1}`, intArg('pulse input ratio', ratio, 1, 9999, 4));
}

/** Pulse-output ratio (`D4`, 4 digits, 1..1600). */
export function pulseOutputRatioCommand(ratio: number): Uint8Array {
  return writeCommand('D4', intArg('pulse output ratio', ratio, 1, 1600, 4));
}

/** Zero the resettable kWh registers (`D3`, no data). */
export function zeroResettableKwhCommand(): Uint8Array {
  return writeCommand('D3', '');
}

/** Change the meter password (`20`, 8 digits). */
export function setPasswordCommand(password: string): Uint8Array {
  if (!/^\d{8}$/.test(password)) throw new CodecError('BAD_ARGUMENT', 'new password must be exactly 8 digits');
  return writeCommand('20', password);
}

/** LCD items (`D2`): up to 40 item codes, padded with `00` (docs/rs485-protocol.md §7.5: the frame holds 40). */
export function lcdItemsCommand(items: readonly number[]): Uint8Array {
  if (items.length < 1 || items.length > 40) {
    throw new CodecError('BAD_ARGUMENT', `LCD list must have 1..40 items, got ${items.length}`);
  }
  const codes = items.map((item, i) => intArg(`LCD item ${i + 1}`, item, 1, 99, 2));
  return writeCommand('D2', [...codes, ...Array<string>(40 - codes.length).fill('00')].join(''));
}

/** Weekend and holiday schedules (`C0`, 2 + 2 digits). */
export function weekendHolidayCommand(weekend: number, holiday: number): Uint8Array {
  return writeCommand(
    'C0',
    intArg('weekend schedule', weekend, 0, 99, 2) + intArg('holiday schedule', holiday, 0, 99, 2),
  );
}

/** One tariff-schedule period: start time and tariff. */
export interface SchedulePeriod {
  readonly hour: number;
  readonly minute: number;
  readonly tariff: number;
}

/** Tariff schedule n (`70`..`75`): 4 × (hh mm tariff) + 24 `0`. */
export function scheduleCommand(schedule: number, periods: readonly SchedulePeriod[]): Uint8Array {
  intArg('schedule', schedule, 0, 5, 1);
  if (periods.length > 4)
    throw new CodecError('BAD_ARGUMENT', `a schedule has at most 4 periods, got ${periods.length}`);
  const slots = [0, 1, 2, 3].map((i) => {
    const p = periods[i];
    if (!p) return '000000';
    return (
      intArg('hour', p.hour, 0, 23, 2) + intArg('minute', p.minute, 0, 59, 2) + intArg('tariff', p.tariff, 0, 4, 2)
    );
  });
  return writeCommand(`7${schedule}`, `${slots.join('')}${'0'.repeat(24)}`);
}

/** Seasons (`80`): 4 × (month day schedule) + 24 `0`; the schedule number on the wire is 1-based (library `assignSeasonSchedule(0, …, 0)` writes `01`). */
export function seasonsCommand(seasons: readonly { month: number; day: number; schedule: number }[]): Uint8Array {
  if (seasons.length > 4) throw new CodecError('BAD_ARGUMENT', `at most 4 seasons, got ${seasons.length}`);
  const slots = [0, 1, 2, 3].map((i) => {
    const s = seasons[i];
    if (!s) return '000000';
    return (
      intArg('month', s.month, 1, 12, 2) + intArg('day', s.day, 1, 31, 2) + intArg('schedule', s.schedule, 1, 6, 2)
    );
  });
  return writeCommand('80', `${slots.join('')}${'0'.repeat(24)}`);
}

/** Holidays (`B0`): 20 × (month day). */
export function holidaysCommand(dates: readonly { month: number; day: number }[]): Uint8Array {
  if (dates.length > 20) throw new CodecError('BAD_ARGUMENT', `at most 20 holidays, got ${dates.length}`);
  const slots = Array.from({ length: 20 }, (_, i) => {
    const d = dates[i];
    if (!d) return '0000';
    return intArg('month', d.month, 1, 12, 2) + intArg('day', d.day, 1, 31, 2);
  });
  return writeCommand('B0', slots.join(''));
}

/** Lower-case hex of a frame (for logs and tests). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
