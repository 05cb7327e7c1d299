import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeReading } from '../../src/codec/reading';
import { Spool } from '../../src/uplink/spool';
import { flushSpool, type Uplink, type UplinkAnswer } from '../../src/uplink/uploader';

const BIN = join(__dirname, '../../bin/ekm-edge.cjs');
const GOOD = 'tok-good-7f3a9c';
const ROTATED = 'tok-rotated-11b2e4';

function reading(i: number): EdgeReading {
  return {
    meter: '000300001463',
    timeMs: 1_700_000_000_000 + i * 1000,
    good: true,
    protocol: 'v4',
    source: 'edge',
    via: 'gw-1',
    fields: { kWh_Tot: i },
  };
}

/** An ingest endpoint that knows one token; counts the readings it stored. */
async function endpoint(): Promise<{ url: string; server: Server; stored: Set<string>; refused: number[] }> {
  const stored = new Set<string>();
  const refused: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${GOOD}`) {
        refused.push(401);
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"code":"UNAUTHENTICATED","message":"unknown gateway token"}');
        return;
      }
      const batch = JSON.parse(body) as { readings: EdgeReading[] };
      for (const r of batch.readings) stored.add(`${r.meter}@${r.timeMs}`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: batch.readings.length }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/edge/batches`, server, stored, refused };
}

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function edgeConfig(url: string, readings: number): { config: string; spoolPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ekm-edge-auth-'));
  const spoolPath = join(dir, 'spool.db');
  const spool = new Spool(spoolPath, 'gw-1');
  for (let i = 1; i <= readings; i++) spool.append(reading(i));
  spool.close();
  const config = join(dir, 'edge.yaml');
  writeFileSync(
    config,
    `gateway: gw-1\nport: /dev/null\nmeters: [{ address: "000300001463", family: v4 }]\nspool: ${spoolPath}\nuplink: { endpoint: "${url}", token: { env: EDGE_TOKEN }, batchSize: 10 }\n`,
  );
  return { config, spoolPath };
}

describe('uploads refused for the gateway token (401/403)', () => {
  it('keeps every batch queued, says why without the token, and delivers once the token is fixed', async () => {
    // Prepare
    const ep = await endpoint();
    const { config } = edgeConfig(ep.url, 30);
    try {
      // Act 1: a rotated token.
      const refused = await cli(['flush', '--config', config, '--json'], { ...process.env, EDGE_TOKEN: ROTATED });
      // Assess 1: nothing set aside, the reason is on stderr, the token is nowhere.
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ rejected: 0, spool: { pending: 30, rejected: 0 } });
      expect(refused.stderr).toMatch(/HTTP 401/);
      expect(refused.stderr).toMatch(/token/);
      expect(refused.stderr + refused.stdout).not.toContain(ROTATED);
      const status = await cli(['status', '--config', config, '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ pending: 30, inFlight: 1, rejected: 0 });
      // Act 2: the operator fixes the token; after the first backoff step (1 s) the queue drains.
      await new Promise((r) => setTimeout(r, 1100));
      const fixed = await cli(['flush', '--config', config, '--json'], { ...process.env, EDGE_TOKEN: GOOD });
      // Assess 2
      expect(fixed.code).toBe(0);
      expect(JSON.parse(fixed.stdout)).toMatchObject({ readings: 30, rejected: 0, spool: { pending: 0, rejected: 0 } });
      expect(ep.stored.size).toBe(30);
      expect(ep.refused).toEqual([401]);
    } finally {
      ep.server.closeAllConnections();
      ep.server.close();
    }
  }, 20_000);

  it('backs off and reports the refusal once per attempt (flushSpool)', async () => {
    // Prepare
    const spool = new Spool(join(mkdtempSync(join(tmpdir(), 'ekm-edge-auth-')), 's.db'), 'gw-1');
    for (let i = 1; i <= 4; i++) spool.append(reading(i));
    const answers: UplinkAnswer[] = [{ kind: 'auth', reason: 'HTTP 403: meter not registered' }];
    const uplink: Uplink = { send: async () => answers.shift() ?? { kind: 'ack', accepted: 2, duplicate: false } };
    let now = 0;
    // Act
    const first = await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 2, now: () => now });
    const notDue = await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 2, now: () => now });
    now = 1000;
    const later = await flushSpool(spool, uplink, { gateway: 'gw-1', batchSize: 2, now: () => now });
    // Assess
    expect(first).toMatchObject({
      batches: 0,
      rejected: 0,
      backoffMs: 1000,
      authRefused: 'HTTP 403: meter not registered',
    });
    expect(notDue.authRefused).toBeUndefined();
    expect(later).toMatchObject({ batches: 2, readings: 4, rejected: 0 });
    expect(spool.stats()).toEqual({ pending: 0, inFlight: 0, rejected: 0 });
    spool.close();
  });
});

describe('ekm-edge requeue', () => {
  /** A spool with three batches the pipeline refused (as older collectors did on a 401). */
  function spoolWithRefusals(url: string): { config: string } {
    const made = edgeConfig(url, 6);
    const spool = new Spool(made.spoolPath, 'gw-1');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = spool.nextBatch(2, i);
      if (!batch) throw new Error('no batch');
      ids.push(batch.batchId);
      spool.reject(batch.batchId, i, i === 2 ? 'HTTP 400: bad field' : 'HTTP 401: unknown gateway token');
    }
    spool.close();
    return { config: made.config };
  }

  it('moves every refused batch back to the queue with --all, and the next flush delivers them', async () => {
    // Prepare
    const ep = await endpoint();
    const { config } = spoolWithRefusals(ep.url);
    try {
      // Act
      const requeued = await cli(['requeue', '--config', config, '--all', '--json']);
      // Assess
      expect(requeued.code).toBe(0);
      const out = JSON.parse(requeued.stdout);
      expect(out).toMatchObject({ batches: 3, readings: 6, spool: { pending: 6, rejected: 0 } });
      expect(out.requeued.map((b: { reason: string }) => b.reason)).toEqual([
        'HTTP 401: unknown gateway token',
        'HTTP 401: unknown gateway token',
        'HTTP 400: bad field',
      ]);
      const flushed = await cli(['flush', '--config', config, '--json'], { ...process.env, EDGE_TOKEN: GOOD });
      expect(JSON.parse(flushed.stdout)).toMatchObject({ readings: 6, spool: { pending: 0, rejected: 0 } });
      expect(ep.stored.size).toBe(6);
    } finally {
      ep.server.close();
    }
  }, 20_000);

  it('requeues one batch with --batch ID and confirms what it moved', async () => {
    const { config } = spoolWithRefusals('http://127.0.0.1:9/v1/edge/batches');
    const listed = JSON.parse((await cli(['status', '--config', config, '--json'])).stdout);
    const id = listed.refused[1].batchId as string;
    const one = await cli(['requeue', '--config', config, '--batch', id]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(id);
    expect(one.stdout).toMatch(/1 refused batch\(es\), 2 readings/);
    const status = JSON.parse((await cli(['status', '--config', config, '--json'])).stdout);
    expect(status).toMatchObject({ pending: 2, rejected: 2 });
  }, 20_000);

  it.each([
    ['no filter', [], /--all or --batch/],
    ['an unknown batch id', ['--batch', 'gw-1-nope'], /no refused batch "gw-1-nope"/],
  ])(
    'fails when given %s',
    async (_what, args, message) => {
      const { config } = spoolWithRefusals('http://127.0.0.1:9/v1/edge/batches');
      const r = await cli(['requeue', '--config', config, ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      const status = JSON.parse((await cli(['status', '--config', config, '--json'])).stdout);
      expect(status).toMatchObject({ pending: 0, rejected: 3 });
    },
    20_000,
  );

  it('documents its options in --help', async () => {
    const r = await cli(['requeue', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--config', '--all', '--batch', '--json']) expect(r.stdout).toContain(flag);
  });
});
