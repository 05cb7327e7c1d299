import { type MeterId, padMeterId } from '@ekm-pipeline/shared';
import { ValidationError } from '../errors';

// Meter ids and API serials are shared with the edge collector (packages/shared/src/meter-id.ts).
export { isMeterId, type MeterId, toApiSerial } from '@ekm-pipeline/shared';

/**
 * Convert what the Realtime/Summary APIs send (`350000900`, leading zeros dropped) or a 12-digit
 * address into a {@link MeterId}. Throws a ValidationError naming `field` otherwise.
 */
export function toMeterId(value: string | number, field = 'meter'): MeterId {
  const id = padMeterId(value);
  if (id === undefined) {
    throw new ValidationError(
      field,
      `expected a meter address of 1-12 digits (e.g. 000350000900), got ${JSON.stringify(String(value).trim())}`,
    );
  }
  return id;
}
