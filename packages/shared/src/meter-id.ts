/** A meter id: the 12-digit zero-padded address (`000350000900`) used by meters, Account and Trigger APIs. */
export type MeterId = string;

const METER_ID = /^\d{12}$/;
const METER_ADDRESS = /^\d{1,12}$/;

/** True when `value` is a 12-digit meter id. */
export function isMeterId(value: string): value is MeterId {
  return METER_ID.test(value);
}

/**
 * A meter address of 1-12 digits (what the Realtime/Summary APIs send, `350000900`, or what a person
 * types) zero-padded to a {@link MeterId}; `undefined` when it is not 1-12 digits. Callers turn
 * `undefined` into their own error.
 */
export function padMeterId(value: string | number): MeterId | undefined {
  const text = String(value).trim();
  return METER_ADDRESS.test(text) ? text.padStart(12, '0') : undefined;
}

/** The serial as the Realtime and Summary APIs write it: the meter id without leading zeros. */
export function toApiSerial(id: MeterId): string {
  const trimmed = id.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}
