/**
 * EKM's CRC-16 (docs/rs485-protocol.md §5): CRC-16/MODBUS (init 0xFFFF, reflected polynomial 0xA001, no final
 * XOR), sent low byte first with bit 7 of each byte cleared so it fits a 7-bit line.
 */

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** The plain CRC-16/MODBUS register over `bytes[start, end)` (before EKM's swap and mask). */
export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let reg = 0xffff;
  for (let i = start; i < end; i++) {
    reg = (reg >>> 8) ^ (TABLE[(reg ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  }
  return reg;
}

/** The two CRC bytes EKM puts on the wire: [low & 0x7F, high & 0x7F]. */
export function ekmCrcBytes(bytes: Uint8Array, start = 0, end = bytes.length): [number, number] {
  const reg = crc16Modbus(bytes, start, end);
  return [reg & 0x7f, (reg >>> 8) & 0x7f];
}

/** True when the two bytes at `crcAt` are EKM's CRC of `bytes[start, crcAt)`. */
export function ekmCrcMatches(bytes: Uint8Array, start: number, crcAt: number): boolean {
  const [lo, hi] = ekmCrcBytes(bytes, start, crcAt);
  return bytes[crcAt] === lo && bytes[crcAt + 1] === hi;
}
