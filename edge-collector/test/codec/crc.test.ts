import { crc16Modbus, ekmCrcBytes, ekmCrcMatches } from '../../src/codec';
import crcVectors from '../fixtures/vectors/crc-vectors.json';

describe('EKM CRC-16', () => {
  it.each(crcVectors.map((v) => [v.note, v] as const))('matches the vector: %s', (_note, vector) => {
    // Prepare
    const bytes = Buffer.from(vector.hex, 'hex');
    // Act
    const raw = crc16Modbus(bytes);
    const wire = ekmCrcBytes(bytes);
    // Assess
    expect(raw.toString(16).padStart(4, '0')).toBe(vector.crc16_modbus_raw);
    expect(wire).toEqual(vector.crc_bytes_on_wire);
    expect(Buffer.from(wire).toString('hex')).toBe(vector.crc);
    if ('external_expected' in vector) expect(Buffer.from(wire).toString('hex')).toBe(vector.external_expected);
  });

  it('has the CRC-16/MODBUS check value 0x4B37 for "123456789"', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('checks a CRC in place over a byte range', () => {
    const frame = Buffer.from('00573102303038312831303030302903316100', 'hex');
    expect(ekmCrcMatches(frame, 1, 16)).toBe(true);
    frame[5] = 0x39;
    expect(ekmCrcMatches(frame, 1, 16)).toBe(false);
  });
});
