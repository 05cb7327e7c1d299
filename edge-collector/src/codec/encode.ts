/**
 * Building 255-byte replies: what a meter sends. Used by the simulated Omnimeter and by tests that
 * need frames beyond the two real captures. Values are the raw wire text of each field (digits as
 * the meter would send them, before any scaling); absent fields are all `0`.
 */
import { ekmCrcBytes } from './crc';
import type { FrameKind } from './decode';
import { CodecError } from './errors';
import { V3_LAYOUT, V4A_LAYOUT, V4B_LAYOUT } from './layouts';

const MODEL_BY_KIND: Readonly<Record<FrameKind, string>> = { v3: '1022', v4a: '1024', v4b: '1024' };

export interface ReplySpec {
  readonly kind: FrameKind;
  readonly address: string;
  /** Model as 4 hex digits (default: 1022 for v3, 1024 for v4). */
  readonly model?: string;
  /** Firmware as 2 hex digits (default 19). */
  readonly firmware?: string;
  /** Raw field text by EKM field name; numbers are zero-padded to the field width. */
  readonly raw?: Readonly<Record<string, string | number>>;
}

/** Recompute bytes 253-254 (the CRC over bytes 1..252) in place; returns the frame. */
export function sealReply(frame: Uint8Array): Uint8Array {
  const [lo, hi] = ekmCrcBytes(frame, 1, 253);
  frame[253] = lo;
  frame[254] = hi;
  return frame;
}

/** Build a valid (CRC-sealed) reply frame. */
export function buildReply(spec: ReplySpec): Uint8Array {
  const frame = new Uint8Array(255).fill(0x30);
  frame[0] = 0x02;
  const layout = spec.kind === 'v3' ? V3_LAYOUT : spec.kind === 'v4a' ? V4A_LAYOUT : V4B_LAYOUT;
  const put = (offset: number, value: string) => {
    for (let i = 0; i < value.length; i++) frame[offset + i] = value.charCodeAt(i);
  };
  const model = spec.model ?? MODEL_BY_KIND[spec.kind];
  Buffer.from(`${model}${spec.firmware ?? '19'}`, 'hex').forEach((b, i) => {
    frame[1 + i] = b;
  });
  for (const field of layout) {
    if (field.name === 'Model' || field.name === 'Firmware') continue;
    let value: string | undefined;
    if (field.name === 'Meter_Address') value = spec.address;
    else if (field.name === 'Request_Type') value = spec.kind === 'v4b' ? '01' : '00';
    else if (field.type === 'pf') value = 'C000';
    else if (field.type === 'hex') value = '0';
    const given = spec.raw?.[field.name];
    if (given !== undefined) value = typeof given === 'number' ? String(given).padStart(field.length, '0') : given;
    if (value === undefined) continue;
    if (value.length !== field.length) {
      throw new CodecError(
        'BAD_ARGUMENT',
        `${field.name} needs ${field.length} characters, got ${JSON.stringify(value)}`,
      );
    }
    put(field.offset, value);
  }
  put(249, '!\r\n\x03');
  return sealReply(frame);
}
