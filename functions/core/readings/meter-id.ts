import { ValidationError } from '../errors';

/** A meter id: the 12-digit zero-padded address (`000350000900`) used by meters, Account and Trigger APIs. */
export type MeterId = string;

const METER_ID = /^\d{12}$/;
const API_SERIAL = /^\d{1,12}$/;

/** True when `value` is a 12-digit meter id. */
export function isMeterId(value: string): value is MeterId {
  return METER_ID.test(value);
}

/**
 * Convert what the Realtime/Summary APIs send (`350000900`, leading zeros dropped) or a 12-digit
 * address into a {@link MeterId}. Throws a ValidationError naming `field` otherwise.
 */
export function toMeterId(value: string | number, field = 'meter'): MeterId {
  const text = String(value).trim();
  if (!API_SERIAL.test(text)) {
    throw new ValidationError(
      field,
      `expected a meter address of 1-12 digits (e.g. 000350000900), got ${JSON.stringify(text)}`,
    );
  }
  return text.padStart(12, '0');
}

/** The serial as the Realtime and Summary APIs write it: the meter id without leading zeros. */
export function toApiSerial(id: MeterId): string {
  const trimmed = id.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}
