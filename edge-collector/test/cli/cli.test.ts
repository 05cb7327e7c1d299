import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import captured from '../fixtures/vectors/captured-frames.json';

const BIN = join(__dirname, '../../bin/ekm-edge.cjs');
const realA = captured[0]!.hex as string;
const realB = captured[1]!.hex as string;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

describe('ekm-edge decode', () => {
  it('prints one JSON object keyed by EKM field names and exits 0', () => {
    const r = run('decode', '--hex', realA, '--json');
    expect(r.status).toBe(0);
    const fields = JSON.parse(r.stdout);
    expect(fields).toMatchObject({
      Model: '1024',
      Meter_Address: '000300002570',
      kWh_Tot: 45.41,
      Meter_Time: '15090103100622',
      Cos_Theta_Ln_1: '0.99 C',
    });
  });

  it('decodes a B block with --kind v4b --scale 2', () => {
    const r = run('decode', '--hex', realB, '--kind', 'v4b', '--scale', '2', '--address', '000300000234', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kWh_Tariff_1: 3110.88, CT_Ratio: 400 });
  });

  it.each([
    ['a reply from another meter', ['--hex', realA, '--address', '000300001463'], 'ADDRESS_MISMATCH'],
    ['a truncated frame', ['--hex', realA.slice(0, 400)], 'TRUNCATED'],
    ['odd hex', ['--hex', 'abc'], '--hex'],
  ])('fails with the exact reason on %s', (_what, args, reason) => {
    const r = run('decode', ...args, '--json');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(reason);
  });
});

describe('ekm-edge simulate + read over a pty', () => {
  let sim: ChildProcessWithoutNullStreams;
  let port: string;

  beforeAll(async () => {
    sim = spawn(process.execPath, [BIN, 'simulate', '--meters', '000300001463:v4,26:v3', '--json']);
    port = await new Promise<string>((resolve, reject) => {
      sim.stdout.once('data', (c: Buffer) => resolve(JSON.parse(c.toString()).port));
      sim.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
    });
  }, 15_000);

  afterAll(async () => {
    const done = new Promise((r) => sim.once('exit', r));
    sim.kill('SIGTERM');
    await done;
  });

  it('reads a v4 meter N times and prints one JSON reading per line', async () => {
    const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [
        BIN,
        'read',
        '--port',
        port,
        '--meter',
        '000300001463',
        '--count',
        '3',
        '--json',
      ]);
      let stdout = '';
      child.stdout.on('data', (c) => {
        stdout += c;
      });
      child.on('exit', (status) => resolve({ status, stdout }));
    });
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ meter: '000300001463', source: 'edge', protocol: 'v4', good: true });
    expect(lines[0].fields.CT_Ratio).toBe(200); // from B
    expect(lines[2].fields.kWh_Tot).toBeGreaterThan(lines[0].fields.kWh_Tot);
  }, 15_000);

  it('closes a relay with `relay` and reads it back', async () => {
    const exec = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args]);
        let stdout = '';
        child.stdout.on('data', (c) => {
          stdout += c;
        });
        child.on('exit', (status) => resolve({ status, stdout }));
      });
    const relay = await exec(
      'relay',
      '--port',
      port,
      '--meter',
      '000300001463',
      '--relay',
      '2',
      '--state',
      'close',
      '--json',
    );
    expect(relay.status).toBe(0);
    expect(JSON.parse(relay.stdout)).toMatchObject({ ok: true });
    const read = await exec('read', '--port', port, '--meter', '000300001463', '--no-b', '--json');
    expect(JSON.parse(read.stdout).fields.State_Out).toBe(2);
  }, 15_000);

  it('runs the collector until SIGTERM, then flushes and exits 0', async () => {
    let received = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received += (JSON.parse(body) as { readings: unknown[] }).readings.length;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"duplicate":false}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'edge-cli-run-'));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/edge/batches`;
    writeFileSync(
      join(dir, 'edge.yaml'),
      `gateway: gw-1\nport: ${port}\nmeters: [{ address: "000300001463" }, { address: "000000000026" }]\nspool: spool.db\nuplink: { endpoint: "${url}", token: { env: EDGE_TOKEN }, intervalMs: 200 }\n`,
    );
    try {
      const child = spawn(process.execPath, [BIN, 'run', '--config', join(dir, 'edge.yaml')], {
        env: { ...process.env, EDGE_TOKEN: 'tok-abcdef' },
      });
      let stdout = '';
      child.stdout.on('data', (c) => {
        stdout += c;
      });
      await new Promise((r) => setTimeout(r, 2500));
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', r));
      expect(code).toBe(0);
      const summary = JSON.parse(stdout) as { reads: number; uploaded: number; spool: { pending: number } };
      expect(summary.reads).toBeGreaterThanOrEqual(2);
      expect(summary.uploaded).toBe(summary.reads);
      expect(received).toBe(summary.reads);
      expect(summary.spool.pending).toBe(0);
      const status = run('status', '--config', join(dir, 'edge.yaml'), '--json');
      expect(status.status).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ gateway: 'gw-1', pending: 0, inFlight: 0, rejected: 0 });
    } finally {
      server.close();
    }
  }, 15_000);
});
