import { readMeter } from '../../src/read-meter';
import type { Timers } from '../../src/transport/byte-link';
import { SerialTransport } from '../../src/transport/serial-transport';

/**
 * The same read against real hardware: set EDGE_TEST_PORT=/dev/ttyUSB0 and EDGE_TEST_METER to a
 * meter on that bus. Without them this registers a todo naming what is needed.
 */
const port = process.env.EDGE_TEST_PORT;
const meter = process.env.EDGE_TEST_METER;
const timers: Timers = { setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout), now: Date.now };

describe('hardware (RS-485 adapter + a real Omnimeter)', () => {
  if (!port || !meter) {
    it.todo(
      'reads a real Omnimeter: needs a USB RS-485 adapter (EDGE_TEST_PORT) and a meter address on it (EDGE_TEST_METER)',
    );
    return;
  }
  it('reads the meter with A and B and decodes every field', async () => {
    const link = await SerialTransport.open(port);
    try {
      const r = await readMeter(
        link,
        timers,
        { address: meter, family: Number(meter) >= 300_000_000 ? 'v4' : 'v3', readB: true },
        'hw',
      );
      expect(r.ok).toBe(true);
    } finally {
      await link.close();
    }
  }, 10_000);
});
