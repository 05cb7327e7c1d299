import { relayCommand, setTimeCommand } from '../../src/codec/commands';
import type { ExchangeTiming } from '../../src/protocol/exchange';
import { readMeter } from '../../src/read-meter';
import { openPtyPair, type PtyPair } from '../../src/sim/pty-pair';
import { type FaultMode, SimulatedBus } from '../../src/sim/simulated-bus';
import type { Timers } from '../../src/transport/byte-link';
import { runExchange } from '../../src/transport/run-exchange';
import { SerialTransport } from '../../src/transport/serial-transport';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};
const TIMING: ExchangeTiming = { firstByteMs: 300, completeMs: 600, retries: 2 };
const V4 = '000300001463';
const V3 = '000000000026';

async function withBus(
  fault: { mode: FaultMode; every: number } | undefined,
  body: (ctx: { collector: SerialTransport; bus: SimulatedBus }) => Promise<void>,
): Promise<void> {
  const pty: PtyPair = await openPtyPair();
  const meterSide = await SerialTransport.open(pty.meter);
  const collector = await SerialTransport.open(pty.bus);
  const bus = new SimulatedBus(meterSide, timers, {
    meters: [
      { address: V4, family: 'v4' },
      { address: V3, family: 'v3' },
    ],
    turnaroundMs: 10,
    ...(fault ? { fault } : {}),
  });
  bus.start();
  try {
    await body({ collector, bus });
  } finally {
    bus.stop();
    await collector.close();
    await meterSide.close();
    await pty.close();
  }
}

describe('collector against the simulated bus over a real pty', () => {
  it('reads a v4 meter (A and B) and a v3 meter, paced like 9600 baud', async () => {
    await withBus(undefined, async ({ collector, bus }) => {
      // Act
      const started = Date.now();
      const v4 = await readMeter(collector, timers, { address: V4, family: 'v4', readB: true }, 'gw-test', TIMING);
      const elapsed = Date.now() - started;
      const v3 = await readMeter(collector, timers, { address: V3, family: 'v3', readB: false }, 'gw-test', TIMING);
      // Assess
      expect(v4.ok && v4.reading).toMatchObject({ meter: V4, protocol: 'v4', source: 'edge', via: 'gw-test' });
      expect(v4.ok && v4.reading.fields).toMatchObject({
        kWh_Scale: 2,
        CT_Ratio: 200,
        CF_Ratio: 800,
        State_Out: 1,
        Cos_Theta_Ln_1: '0.99 C',
      });
      expect(v3.ok && v3.reading).toMatchObject({ meter: V3, protocol: 'v3' });
      // Two 255-byte replies and two 19-byte requests at 10 bits/byte/9600 baud: at least ~570 ms.
      expect(elapsed).toBeGreaterThanOrEqual(560);
      await new Promise((r) => setTimeout(r, 50)); // let the last close cross the pty
      expect(bus.stats).toMatchObject({ requests: 3, replies: 3, closes: 2 });
    });
  });

  it('closes and opens a relay and the next read shows State_Out change', async () => {
    await withBus(undefined, async ({ collector }) => {
      const write = (command: Uint8Array) =>
        runExchange(
          collector,
          { kind: 'write', address: V4, family: 'v4', password: '00000000', command },
          timers,
          TIMING,
        );
      const read = async () => {
        const r = await readMeter(collector, timers, { address: V4, family: 'v4', readB: false }, 'gw', TIMING);
        return r.ok ? r.reading.fields.State_Out : r.failure;
      };
      expect(await read()).toBe(1);
      expect((await write(relayCommand(1, 'close'))).ok).toBe(true);
      expect(await read()).toBe(3);
      expect((await write(relayCommand(2, 'close'))).ok).toBe(true);
      expect(await read()).toBe(4);
      expect((await write(relayCommand(1, 'open'))).ok).toBe(true);
      expect(await read()).toBe(2);
    });
  });

  it('fails when the password is wrong (no ACK) and does not send the command on', async () => {
    await withBus(undefined, async ({ collector }) => {
      const result = await runExchange(
        collector,
        { kind: 'write', address: V4, family: 'v4', password: '12345678', command: relayCommand(1, 'close') },
        timers,
        TIMING,
      );
      expect(result).toMatchObject({ ok: false, failure: 'NO_ACK' });
      const r = await readMeter(collector, timers, { address: V4, family: 'v4', readB: false }, 'gw', TIMING);
      expect(r.ok && r.reading.fields.State_Out).toBe(1);
    });
  });

  it('sets the meter clock', async () => {
    await withBus(undefined, async ({ collector }) => {
      const command = setTimeCommand({ year: 2030, month: 1, day: 2, hour: 3, minute: 4, second: 5 });
      const result = await runExchange(
        collector,
        { kind: 'write', address: V3, family: 'v3', password: '00000000', command },
        timers,
        TIMING,
      );
      expect(result.ok).toBe(true);
      const r = await readMeter(collector, timers, { address: V3, family: 'v3', readB: false }, 'gw', TIMING);
      // 2030-01-02 was a Wednesday: weekday 04 with Sunday = 01.
      expect(r.ok && String(r.reading.fields.Meter_Time).slice(0, 8)).toBe('30010204');
    });
  });

  it('times out on a meter that is not on the bus', async () => {
    await withBus(undefined, async ({ collector }) => {
      const r = await readMeter(
        collector,
        timers,
        { address: '000300009999', family: 'v4', readB: false },
        'gw',
        TIMING,
      );
      expect(r).toMatchObject({ ok: false, failure: 'TIMEOUT', attempts: 3 });
    });
  });

  it.each(['bad-crc', 'truncated', 'noise', 'silence'] as const)(
    'recovers from %s replies by retrying',
    async (mode) => {
      await withBus({ mode, every: 2 }, async ({ collector, bus }) => {
        // One A+B read: the fault hits the second reply (B).
        const outcome = await readMeter(collector, timers, { address: V4, family: 'v4', readB: true }, 'gw', TIMING);
        expect(outcome.ok).toBe(true);
        expect(bus.stats.faults).toBe(1);
        // Noise is skipped by the framing without a retry; the other faults cost one re-sent request.
        expect(outcome.attempts).toBe(mode === 'noise' ? 2 : 3);
      });
    },
  );
});
