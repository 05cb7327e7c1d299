/**
 * Decoding of 255-byte meter replies (docs/rs485-protocol.md §4, §6). Every frame is checked before any field is
 * read: length 255, 7-bit bytes, STX, the `! CR LF ETX` trailer, CRC over bytes 1..252, block type
 * (A `00` / B `01`) and, when given, the requested address. Unlike EKM's library, a field that is
 * not plain digits rejects the whole frame instead of keeping a stale value (docs/rs485-protocol.md §8).
 */
import { isMeterId } from '@ekm-pipeline/shared';
import { WILDCARD_ADDRESS } from './commands';
import { ekmCrcBytes } from './crc';
import { CodecError } from './errors';
import { type FieldSpec, V3_LAYOUT, V4A_LAYOUT, V4B_LAYOUT } from './layouts';
import type { EdgeReading, FieldValue, MeterProtocol } from './reading';

/** Length of every main-read reply. */
export const FRAME_LENGTH = 255;
const STX = 0x02;
const TRAILER = [0x21, 0x0d, 0x0a, 0x03];
const TRAILER_AT = 249;
const CRC_AT = 253;
const REQUEST_TYPE_AT = 247;

/** Which reply layout a frame follows. */
export type FrameKind = 'v3' | 'v4a' | 'v4b';

export interface DecodeOptions {
  /** The expected layout; detected from Model and Request_Type when absent. */
  readonly kind?: FrameKind;
  /** The address that was requested; a reply from another meter is rejected. The wildcard accepts any. */
  readonly address?: string;
  /** kWh_Scale digit of the preceding A block; required to decode a B block (docs/rs485-protocol.md §6.1). */
  readonly scale?: number;
}

/** A decoded block: EKM field names → typed, already-scaled values. */
export interface DecodedBlock {
  readonly kind: FrameKind;
  readonly address: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Meter_Time as UTC epoch ms (the meter clock has no zone; we keep it on UTC), if it is a real date. */
  readonly meterTimeMs?: number;
}

const V3_MODELS = new Set(['1017', '1022']);
const DIGITS = /^\d+$/;
const PF = /^[ CL]\d{3}$/;

function text(frame: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...frame.subarray(offset, offset + length));
}

function hex(frame: Uint8Array, offset: number, length: number): string {
  return Buffer.from(frame.buffer, frame.byteOffset + offset, length).toString('hex');
}

/** kWh_Scale digit → divisor (library ScaleKWH: 0 → 1, 1 → 10, 2 → 100, anything else → 1). */
export function kwhDivisor(scale: number): number {
  return scale === 1 ? 10 : scale === 2 ? 100 : 1;
}

/** `C099` → `0.99 C`, ` 100` → `1.00  ` (EKM's fixCosTheta form, docs/rs485-protocol.md §6.6). */
export function formatCosTheta(raw: string): string {
  return `${raw[1]}.${raw.slice(2)} ${raw[0]}`;
}

/** EKM's legacy Power_Factor integer: L → digits, C → 200 − digits, neither → 100 (docs/rs485-protocol.md §6.8). */
export function powerFactor(raw: string): number {
  const digits = Number(raw.slice(1));
  return raw[0] === 'L' ? digits : raw[0] === 'C' ? 200 - digits : 100;
}

/** `YYMMDDWWhhmmss` → UTC epoch ms, or undefined when it is not a real date/time. */
export function meterTimeToMs(value: string): number | undefined {
  if (!/^\d{14}$/.test(value)) return undefined;
  const n = (i: number) => Number(value.slice(i, i + 2));
  const [year, month, day, hour, minute, second] = [2000 + n(0), n(2), n(4), n(8), n(10), n(12)];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  return ms;
}

/** State_Watts_Dir 1..8 → which of lines 1..3 run in reverse (docs/rs485-protocol.md §6.5); anything else = all forward. */
const REVERSE_LINES: Readonly<Record<number, readonly [boolean, boolean, boolean]>> = {
  1: [false, false, false],
  2: [false, false, true],
  3: [false, true, false],
  4: [true, false, false],
  5: [false, true, true],
  6: [true, false, true],
  7: [true, true, false],
  8: [true, true, true],
};

function detectKind(frame: Uint8Array): FrameKind {
  if (V3_MODELS.has(hex(frame, 1, 2))) return 'v3';
  const requestType = text(frame, REQUEST_TYPE_AT, 2);
  if (requestType === '00') return 'v4a';
  if (requestType === '01') return 'v4b';
  throw new CodecError(
    'UNKNOWN_KIND',
    `cannot tell the block type: Model ${hex(frame, 1, 2)} is not a v3 model and Request_Type is ${JSON.stringify(requestType)} (expected "00" or "01"); pass --kind`,
  );
}

/**
 * The frame-level checks (length, 7-bit, STX, trailer, CRC), without decoding fields. Used by the
 * framing stream to find frame boundaries. Throws CodecError.
 */
export function checkFrame(frame: Uint8Array): void {
  if (frame.length < FRAME_LENGTH) {
    throw new CodecError('TRUNCATED', `reply is ${frame.length} bytes; a meter reply is exactly ${FRAME_LENGTH}`);
  }
  if (frame.length > FRAME_LENGTH) {
    throw new CodecError('OVERLONG', `reply is ${frame.length} bytes; a meter reply is exactly ${FRAME_LENGTH}`);
  }
  const high = frame.findIndex((b) => b > 0x7f);
  if (high >= 0) {
    throw new CodecError(
      'NOT_7BIT',
      `byte ${high} is 0x${(frame[high] ?? 0).toString(16)} (>= 0x80): the line must be 7E1; check the adapter's data bits and parity`,
    );
  }
  if (frame[0] !== STX) {
    throw new CodecError(
      'BAD_START_BYTE',
      `byte 0 is 0x${(frame[0] ?? 0).toString(16).padStart(2, '0')}, expected STX 0x02`,
    );
  }
  if (TRAILER.some((b, i) => frame[TRAILER_AT + i] !== b)) {
    throw new CodecError(
      'BAD_TRAILER',
      `bytes 249..252 are ${hex(frame, TRAILER_AT, 4)}, expected 210d0a03 ("!\\r\\n" ETX)`,
    );
  }
  const [lo, hi] = ekmCrcBytes(frame, 1, CRC_AT);
  if (frame[CRC_AT] !== lo || frame[CRC_AT + 1] !== hi) {
    throw new CodecError(
      'CRC_MISMATCH',
      `CRC in frame is ${hex(frame, CRC_AT, 2)}, computed ${Buffer.from([lo, hi]).toString('hex')} over bytes 1..252`,
    );
  }
}

function readFields(frame: Uint8Array, layout: readonly FieldSpec[], divisor: number): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  // One latin1 view of the (already 7-bit checked) frame; fields are slices of it.
  const all = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('latin1');
  for (const spec of layout) {
    if (spec.type === 'skip') continue;
    if (spec.type === 'hex') {
      fields[spec.name] = hex(frame, spec.offset, spec.length);
      continue;
    }
    const raw = all.slice(spec.offset, spec.offset + spec.length);
    const bad = (expected: string) =>
      new CodecError(
        'BAD_FIELD',
        `${spec.name} at byte ${spec.offset} is ${JSON.stringify(raw)}, expected ${expected}`,
      );
    if (spec.type === 'pf') {
      if (!PF.test(raw)) throw bad('a power factor like "C099", "L083" or " 100"');
      fields[spec.name] = formatCosTheta(raw);
      continue;
    }
    if (!DIGITS.test(raw)) throw bad(`${spec.length} decimal digits`);
    if (spec.type === 'text') fields[spec.name] = raw;
    else if (spec.type === 'int') fields[spec.name] = Number(raw);
    // Divide (never multiply by 0.1): bit-identical to the library's float(text) / divisor (docs/rs485-protocol.md §6.1).
    else if (spec.type === 'div10') fields[spec.name] = Number(raw) / 10;
    else if (spec.type === 'div100') fields[spec.name] = Number(raw) / 100;
    else fields[spec.name] = Number(raw) / divisor;
  }
  return fields;
}

/**
 * Check and decode one reply. Throws CodecError with the exact reason on any failed check.
 */
export function decodeFrame(frame: Uint8Array, options: DecodeOptions = {}): DecodedBlock {
  checkFrame(frame);
  const detected = detectKind(frame);
  const kind = options.kind ?? detected;
  if (kind !== 'v3') {
    const requestType = text(frame, REQUEST_TYPE_AT, 2);
    const want = kind === 'v4a' ? '00' : '01';
    if (requestType !== want) {
      throw new CodecError(
        'WRONG_BLOCK',
        `Request_Type is ${JSON.stringify(requestType)} but a ${kind === 'v4a' ? 'A' : 'B'} block was expected (${JSON.stringify(want)})`,
      );
    }
  } else if (detected !== 'v3' && options.kind === 'v3') {
    throw new CodecError('WRONG_BLOCK', `Model ${hex(frame, 1, 2)} is a v4/v5 meter but a v3 reply was expected`);
  }
  const address = text(frame, 4, 12);
  if (options.address !== undefined && options.address !== WILDCARD_ADDRESS && address !== options.address) {
    throw new CodecError(
      'ADDRESS_MISMATCH',
      `reply is from meter ${JSON.stringify(address)}, requested ${options.address}`,
    );
  }
  let divisor = 10; // v3 kWh always has one decimal (docs/rs485-protocol.md §6.1).
  if (kind === 'v4a') {
    const digit = text(frame, 230, 1);
    if (!DIGITS.test(digit)) {
      throw new CodecError('BAD_FIELD', `kWh_Scale at byte 230 is ${JSON.stringify(digit)}, expected 1 decimal digit`);
    }
    divisor = kwhDivisor(Number(digit));
  } else if (kind === 'v4b') {
    if (options.scale === undefined || !Number.isInteger(options.scale) || options.scale < 0 || options.scale > 9) {
      throw new CodecError(
        'BAD_ARGUMENT',
        'a B block has no kWh_Scale of its own: pass the kWh_Scale digit (0-9) of the preceding A block (--scale)',
      );
    }
    divisor = kwhDivisor(options.scale);
  }
  const layout = kind === 'v3' ? V3_LAYOUT : kind === 'v4a' ? V4A_LAYOUT : V4B_LAYOUT;
  const fields = readFields(frame, layout, divisor);
  if (!isMeterId(address)) {
    throw new CodecError('BAD_FIELD', `Meter_Address is ${JSON.stringify(address)}, expected 12 digits`);
  }
  if (kind !== 'v4b') {
    // Calculated from the A block / single v3 block only, as EKM does (docs/rs485-protocol.md §6.8).
    for (const line of [1, 2, 3]) {
      const raw = text(frame, (kind === 'v3' ? 151 : 159) + (line - 1) * 4, 4);
      fields[`Power_Factor_Ln_${line}`] = powerFactor(raw);
    }
  }
  if (kind === 'v4a') {
    const reverse = REVERSE_LINES[fields.State_Watts_Dir as number] ?? [false, false, false];
    let total = 0;
    for (const line of [1, 2, 3]) {
      const watts = fields[`RMS_Watts_Ln_${line}`] as number;
      const net = reverse[line - 1] ? -watts : watts;
      fields[`Net_Calc_Watts_Ln_${line}`] = net;
      total += net;
    }
    // Sum of the signed lines, not RMS_Watts_Tot (library L:3700-3739).
    fields.Net_Calc_Watts_Tot = total;
  }
  const meterTimeMs = meterTimeToMs(String(fields.Meter_Time));
  return { kind, address, fields, ...(meterTimeMs === undefined ? {} : { meterTimeMs }) };
}

/**
 * Merge a v3 block, or a v4 A block with an optional B block, into one reading. A's values win for
 * every field both blocks carry (the library merges B first, then A on top; docs/rs485-protocol.md §2.3).
 */
export function toReading(input: {
  readonly primary: DecodedBlock;
  readonly b?: DecodedBlock;
  readonly timeMs: number;
  readonly via: string;
}): EdgeReading {
  const { primary, b } = input;
  if (b && (b.kind !== 'v4b' || primary.kind !== 'v4a' || b.address !== primary.address)) {
    throw new CodecError(
      'WRONG_BLOCK',
      `cannot merge a ${b.kind} block of ${b.address} into a ${primary.kind} block of ${primary.address}`,
    );
  }
  const { Meter_Address: _address, ...fields } = { ...(b?.fields ?? {}), ...primary.fields };
  const protocol: MeterProtocol = primary.kind === 'v3' ? 'v3' : 'v4';
  return { meter: primary.address, timeMs: input.timeMs, good: true, protocol, source: 'edge', via: input.via, fields };
}
