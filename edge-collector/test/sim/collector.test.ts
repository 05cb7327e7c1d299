import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeReading } from '../../src/codec/reading';
import { Collector } from '../../src/collector';
import { parseEdgeConfig } from '../../src/config';
import { openPtyPair } from '../../src/sim/pty-pair';
import { SimulatedBus } from '../../src/sim/simulated-bus';
import type { Timers } from '../../src/transport/byte-link';
import { SerialTransport } from '../../src/transport/serial-transport';
import { Spool } from '../../src/uplink/spool';
import type { Uplink, UplinkAnswer } from '../../src/uplink/uploader';

/** A pipeline that can be "offline"; dedupes by batch id like the real endpoint. */
class FlakyPipeline implements Uplink {
  online = false;
  attempts = 0;
  readonly stored = new Map<string, number>();
  private readonly batches = new Set<string>();
  async send(batch: { batchId: string; readings: readonly EdgeReading[] }): Promise<UplinkAnswer> {
    this.attempts++;
    if (!this.online) return { kind: 'retry', reason: 'network: ECONNREFUSED' };
    const duplicate = this.batches.has(batch.batchId);
    if (!duplicate) {
      this.batches.add(batch.batchId);
      for (const r of batch.readings)
        this.stored.set(`${r.meter}@${r.timeMs}`, (this.stored.get(`${r.meter}@${r.timeMs}`) ?? 0) + 1);
    }
    return { kind: 'ack', accepted: batch.readings.length, duplicate };
  }
}

describe('Collector (run loop) over a simulated bus', () => {
  it('keeps reading through a network outage and delivers every reading once afterwards', async () => {
    // Prepare: a clock we can move forward a week, real timers for the bus.
    let skewMs = 0;
    const timers: Timers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now() + skewMs,
    };
    const pty = await openPtyPair();
    const meterSide = await SerialTransport.open(pty.meter);
    const link = await SerialTransport.open(pty.bus);
    const bus = new SimulatedBus(meterSide, timers, {
      meters: [
        { address: '000300001463', family: 'v4' },
        { address: '000000000026', family: 'v3' },
      ],
    });
    bus.start();
    const config = parseEdgeConfig(
      {
        gateway: 'gw-1',
        port: pty.bus,
        meters: [{ address: '000300001463' }, { address: '000000000026' }],
        schedule: { bEvery: 3 },
        timing: { firstByteMs: 200, completeMs: 500, retries: 1 },
        spool: join(mkdtempSync(join(tmpdir(), 'edge-run-')), 'spool.db'),
        uplink: { endpoint: 'http://127.0.0.1:9/v1/edge/batches', token: { env: 'T' }, batchSize: 3, intervalMs: 100 },
      },
      'edge.yaml',
    );
    const spool = new Spool(config.spool, 'gw-1');
    const pipeline = new FlakyPipeline();
    const logs: string[] = [];
    try {
      // Act 1: offline.
      const offline = await new Collector({
        config,
        link,
        timers,
        spool,
        uplink: pipeline,
        log: (l) => logs.push(l),
      }).run(4);
      // Assess 1: everything read is safe in the spool; nothing delivered.
      expect(offline).toMatchObject({ reads: 4, failures: 0, uploaded: 0 });
      expect(offline.uploadRetries).toBeGreaterThanOrEqual(1);
      expect(spool.stats().pending).toBe(4);
      expect(logs.some((l) => l.startsWith('upload failed; retrying in'))).toBe(true);
      // Act 2: a week later the network is back.
      pipeline.online = true;
      skewMs = 7 * 86_400_000;
      const online = await new Collector({
        config,
        link,
        timers,
        spool,
        uplink: pipeline,
        log: (l) => logs.push(l),
      }).run(2);
      // Assess 2: all six readings arrived exactly once and the spool is empty.
      expect(online).toMatchObject({ reads: 2, uploaded: 6 });
      expect(pipeline.stored.size).toBe(6);
      expect([...pipeline.stored.values()].every((n) => n === 1)).toBe(true);
      expect(spool.stats()).toEqual({ pending: 0, inFlight: 0, rejected: 0 });
    } finally {
      spool.close();
      bus.stop();
      await link.close();
      await meterSide.close();
      await pty.close();
    }
  }, 20_000);
});
