/** The meter protocol family whose field set a reading follows. */
export type MeterProtocol = 'v3' | 'v4' | 'v5';

/** The wire family: v5 meters speak v4 on RS-485 (same request, A and B blocks). */
export type MeterFamily = 'v3' | 'v4';

export const METER_PROTOCOLS: readonly MeterProtocol[] = ['v3', 'v4', 'v5'];

export function isMeterProtocol(value: unknown): value is MeterProtocol {
  return value === 'v3' || value === 'v4' || value === 'v5';
}

/** The wire family of a protocol: v3 stays v3, v4 and v5 read as v4. */
export function familyOfProtocol(protocol: MeterProtocol): MeterFamily {
  return protocol === 'v3' ? 'v3' : 'v4';
}

/**
 * The family an address implies when none is given: v4/v5 addresses start at 300000000 in every
 * example seen (docs/rs485-protocol.md §3.1). A heuristic, so a given family always wins.
 */
export function familyOfAddress(address: string): MeterFamily {
  return Number(address) >= 300_000_000 ? 'v4' : 'v3';
}
