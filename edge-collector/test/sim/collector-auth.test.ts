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

/** A pipeline that refuses the gateway's token until it is "rotated back". */
class TokenCheckingPipeline implements Uplink {
  accepted = false;
  attempts = 0;
  readonly stored = new Set<string>();
  async send(batch: { batchId: string; readings: readonly EdgeReading[] }): Promise<UplinkAnswer> {
    this.attempts++;
    if (!this.accepted)
      return { kind: 'auth', reason: 'HTTP 401: {"code":"UNAUTHENTICATED","message":"unknown gateway token"}' };
    for (const r of batch.readings) this.stored.add(`${r.meter}@${r.timeMs}`);
    return { kind: 'ack', accepted: batch.readings.length, duplicate: false };
  }
}

describe('Collector (run loop) when the pipeline refuses the gateway token', () => {
  it('keeps reading and spooling, logs why once per backoff step, and delivers once the token works', async () => {
    // Prepare
    let skewMs = 0;
    const timers: Timers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now() + skewMs,
    };
    const config = parseEdgeConfig(
      {
        gateway: 'gw-1',
        port: '/dev/null', // the collector reads through `link` below
        meters: [{ address: '000300001463' }],
        schedule: { bEvery: 3 },
        timing: { firstByteMs: 200, completeMs: 500, retries: 1 },
        spool: join(mkdtempSync(join(tmpdir(), 'edge-auth-')), 'spool.db'),
        uplink: { endpoint: 'http://127.0.0.1:9/v1/edge/batches', token: { env: 'T' }, batchSize: 2, intervalMs: 100 },
      },
      'edge.yaml',
    );
    const pty = await openPtyPair();
    const meterSide = await SerialTransport.open(pty.meter);
    const link = await SerialTransport.open(pty.bus);
    const bus = new SimulatedBus(meterSide, timers, { meters: [{ address: '000300001463', family: 'v4' }] });
    bus.start();
    const spool = new Spool(config.spool, 'gw-1');
    const pipeline = new TokenCheckingPipeline();
    const logs: string[] = [];
    try {
      // Act 1: the token is refused while the collector reads 4 times.
      const refused = await new Collector({
        config,
        link,
        timers,
        spool,
        uplink: pipeline,
        log: (l) => logs.push(l),
      }).run(4);
      // Assess 1: nothing set aside, one loud line per attempt (the 1 s backoff stops re-tries in between).
      expect(refused).toMatchObject({ reads: 4, uploaded: 0, rejectedBatches: 0 });
      expect(spool.stats()).toMatchObject({ pending: 4, rejected: 0 });
      const loud = logs.filter((l) => l.startsWith('upload refused:'));
      expect(loud.length).toBe(pipeline.attempts);
      expect(loud[0]).toMatch(/HTTP 401.*batches stay queued.*uplink\.token in edge\.yaml.*retrying in 1 s/);
      // Act 2: the token works again; past the backoff the queue drains.
      pipeline.accepted = true;
      skewMs = 10 * 60_000;
      const fixed = await new Collector({
        config,
        link,
        timers,
        spool,
        uplink: pipeline,
        log: (l) => logs.push(l),
      }).run(1);
      // Assess 2
      expect(fixed.uploaded).toBe(5);
      expect(pipeline.stored.size).toBe(5);
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
