import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EdgeReading } from '../../src/codec/reading';
import { backoffMs, Spool } from '../../src/uplink/spool';
import { flushSpool, type Uplink, type UplinkAnswer } from '../../src/uplink/uploader';

const BIN = join(__dirname, '../../bin/ekm-edge.cjs');
const tmp = () => mkdtempSync(join(tmpdir(), 'ekm-spool-'));

function reading(i: number, meter = '000300001463'): EdgeReading {
  return {
    meter,
    timeMs: 1_700_000_000_000 + i * 1000,
    good: true,
    protocol: 'v4',
    source: 'edge',
    via: 'gw-1',
    fields: { kWh_Tot: i },
  };
}

class ScriptedUplink implements Uplink {
  readonly sent: string[] = [];
  constructor(private readonly answers: UplinkAnswer[]) {}
  async send(batch: { batchId: string }): Promise<UplinkAnswer> {
    this.sent.push(batch.batchId);
    return this.answers.shift() ?? { kind: 'ack', accepted: 0, duplicate: false };
  }
}

describe('Spool', () => {
  it('appends durably and ignores a second append of the same reading', () => {
    const spool = new Spool(join(tmp(), 's.db'), 'gw-1');
    expect(spool.append(reading(1))).toBe(true);
    expect(spool.append(reading(1))).toBe(false);
    expect(spool.stats()).toEqual({ pending: 1, inFlight: 0, rejected: 0 });
    spool.close();
  });

  it('splits batches at UTC midnight, so every batch holds readings of one UTC date', async () => {
    // Prepare: readings on both sides of midnight, fewer than one batch holds
    const spool = new Spool(join(tmp(), 's.db'), 'gw-1');
    const midnight = Date.UTC(2026, 11, 3);
    const at = (offsetMs: number, meter = '000300001463'): EdgeReading => ({
      ...reading(0, meter),
      timeMs: midnight + offsetMs,
    });
    for (const r of [at(-2000), at(-1000), at(-1000, '000000000026'), at(0), at(1000)]) spool.append(r);
    const uplink = new ScriptedUplink([]);
    const batches: EdgeReading[][] = [];
    const recording: Uplink = {
      send: async (batch) => {
        batches.push([...batch.readings]);
        return uplink.send(batch);
      },
    };
    // Act
    const out = await flushSpool(spool, recording, { gateway: 'gw-1', batchSize: 500, now: () => 0 });
    // Assess
    expect(out).toMatchObject({ batches: 2, readings: 5 });
    expect(batches.map((b) => b.map((r) => r.timeMs - midnight))).toEqual([
      [-2000, -1000, -1000],
      [0, 1000],
    ]);
    spool.close();
  });

  it('re-sends the same batch with the same id until acknowledged, then deletes it', async () => {
    const spool = new Spool(join(tmp(), 's.db'), 'gw-1');
    for (let i = 1; i <= 5; i++) spool.append(reading(i));
    const uplink = new ScriptedUplink([{ kind: 'retry', reason: 'HTTP 503' }]);
    let now = 0;
    const first = await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 3, now: () => now });
    expect(first).toMatchObject({ batches: 0, retries: 1, backoffMs: 1000 });
    // Not due yet: nothing is sent.
    expect(await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 3, now: () => now })).toMatchObject({
      batches: 0,
      retries: 0,
    });
    // More readings arrive meanwhile; they do not join the open batch.
    spool.append(reading(6));
    now = 1000;
    const second = await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 3, now: () => now });
    expect(second).toMatchObject({ batches: 2, readings: 6 });
    const id = spool.spoolId;
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(uplink.sent).toEqual([
      `gw-1-${id}-000000000001-000000000003`,
      `gw-1-${id}-000000000001-000000000003`,
      `gw-1-${id}-000000000004-000000000006`,
    ]);
    expect(spool.stats().pending).toBe(0);
    spool.close();
  });

  it('keeps its spool id across reopen; a re-created spool gets a new one (no batch id reuse)', () => {
    const dir = tmp();
    const a = new Spool(join(dir, 's.db'), 'gw-1');
    const id = a.spoolId;
    a.close();
    const again = new Spool(join(dir, 's.db'), 'gw-1');
    expect(again.spoolId).toBe(id);
    again.close();
    const fresh = new Spool(join(dir, 'other.db'), 'gw-1');
    expect(fresh.spoolId).not.toBe(id);
    fresh.close();
  });

  it('sets a refused batch aside without losing it', async () => {
    const spool = new Spool(join(tmp(), 's.db'), 'gw-1');
    spool.append(reading(1));
    spool.append(reading(2));
    const summary = await flushSpool(
      spool,
      new ScriptedUplink([{ kind: 'reject', reason: 'HTTP 400: meter not allowed' }]),
      {
        gateway: 'gw-1',
        batchSize: 1,
        now: () => 0,
      },
    );
    expect(summary).toMatchObject({ rejected: 1, batches: 1 });
    expect(spool.stats()).toEqual({ pending: 0, inFlight: 0, rejected: 1 });
    spool.close();
  });

  it('backs off exponentially up to 5 minutes', () => {
    expect([1, 2, 3, 10, 20].map((n) => backoffMs(n))).toEqual([1000, 2000, 4000, 300_000, 300_000]);
  });
});

/** A pipeline stand-in that dedupes by idempotency key and by reading identity, like the real one. */
class ReceivingEndpoint {
  readonly requests: string[] = [];
  readonly stored = new Map<string, number>();
  private readonly seenBatches = new Set<string>();
  holdNext = false;
  onHold: (() => void) | undefined;
  server: Server = createServer((req, res) => void this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/edge/v1/batches`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.headers.authorization !== 'Bearer tok-secret-1') {
      res.writeHead(401).end('bad token');
      return;
    }
    const key = String(req.headers['idempotency-key']);
    this.requests.push(key);
    const batch = JSON.parse(body) as { readings: EdgeReading[] };
    const duplicate = this.seenBatches.has(key);
    if (!duplicate) {
      this.seenBatches.add(key);
      for (const r of batch.readings) {
        const id = `${r.meter}|${r.timeMs}`;
        this.stored.set(id, (this.stored.get(id) ?? 0) + 1);
      }
    }
    if (this.holdNext) {
      // Stored, but the acknowledgement never reaches the collector: it is killed first.
      this.holdNext = false;
      this.onHold?.();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ accepted: batch.readings.length, duplicate }));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('spool crash safety (real child processes, SIGKILL)', () => {
  it('delivers exactly once when the collector is killed mid-batch', async () => {
    // Prepare
    const dir = tmp();
    const spoolPath = join(dir, 'spool.db');
    const spool = new Spool(spoolPath, 'gw-1');
    for (let i = 1; i <= 1200; i++) spool.append(reading(i, i % 2 ? '000300001463' : '000300001464'));
    spool.close();
    const endpoint = new ReceivingEndpoint();
    const url = await endpoint.listen();
    const config = join(dir, 'edge.yaml');
    writeFileSync(
      config,
      `gateway: gw-1\nport: /dev/null\nmeters: [{ address: "000300001463", family: v4 }]\nspool: ${spoolPath}\nuplink: { endpoint: "${url}", token: { env: EDGE_TOKEN }, batchSize: 500 }\n`,
    );
    const env = { ...process.env, EDGE_TOKEN: 'tok-secret-1' };
    endpoint.holdNext = true;
    try {
      // Act 1: the first batch is stored downstream, then the collector dies before the ack.
      const first = spawn(process.execPath, [BIN, 'flush', '--config', config, '--json'], { env, stdio: 'pipe' });
      endpoint.onHold = () => first.kill('SIGKILL');
      expect(await exited(first)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(endpoint.requests).toHaveLength(1);
      // Act 2: a fresh process picks up the spool.
      const second = spawn(process.execPath, [BIN, 'flush', '--config', config, '--json'], { env, stdio: 'pipe' });
      let out = '';
      second.stdout.on('data', (c) => {
        out += c;
      });
      expect(await exited(second)).toEqual({ code: 0, signal: null });
      // Assess: the killed batch was re-sent under the same key, nothing is stored twice, all arrived.
      expect(endpoint.requests[1]).toBe(endpoint.requests[0]);
      expect(endpoint.requests).toHaveLength(4);
      expect(endpoint.stored.size).toBe(1200);
      expect([...endpoint.stored.values()].every((n) => n === 1)).toBe(true);
      expect(JSON.parse(out)).toMatchObject({ readings: 1200, duplicates: 1, spool: { pending: 0, inFlight: 0 } });
      expect(out).not.toContain('tok-secret-1');
    } finally {
      endpoint.server.closeAllConnections();
      endpoint.server.close();
    }
  }, 20_000);

  it('keeps every acknowledged append when killed while appending', async () => {
    const spoolPath = join(tmp(), 'spool.db');
    const child = spawn(process.execPath, [join(__dirname, '../fixtures/children/append-forever.cjs'), spoolPath], {
      stdio: 'pipe',
    });
    let last = 0;
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) last = Math.max(last, Number(line));
        if (last >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited(child);
    const db = new Database(spoolPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const rows = db.prepare('SELECT seq FROM readings ORDER BY seq').all() as { seq: number }[];
    db.close();
    // Everything the child reported as appended is there, without gaps or duplicates.
    expect(rows.length).toBeGreaterThanOrEqual(last);
    expect(rows.every((r, i) => r.seq === i + 1)).toBe(true);
    const spool = new Spool(spoolPath, 'gw-crash');
    expect(spool.stats().pending).toBe(rows.length);
    spool.close();
  }, 20_000);
});
