import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(__dirname, '../../bin/ekm-pipeline.cjs');
let server: ChildProcess;
let url: string;
let dir: string;
let config: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, EKM_CLI_TEST_KEY: 'MTAxMDoyMDIw' };
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  // Prepare: the real CLI serves the local EKM cloud on a free port and prints its URL as JSON.
  dir = mkdtempSync(join(tmpdir(), 'ekm-cli-'));
  // Retry-After 0 keeps the injected 429s cheap; the fault file form is exercised on the way.
  const faults = join(dir, 'faults.json');
  writeFileSync(faults, JSON.stringify({ rate429: 0.2, retryAfterSec: 0 }));
  server = spawn(process.execPath, [BIN, 'fake-cloud', '--port', '0', '--json', '--seed', '5', '--faults', faults], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.setEncoding('utf8');
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (chunk: string) => {
      out += chunk;
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        // not the whole document yet
      }
    });
    server.once('exit', (code) => reject(new Error(`fake-cloud exited ${code}`)));
  });
  config = join(dir, 'ekm-pipeline.yaml');
  writeFileSync(
    config,
    `version: 1\nekm: {realtimeUrl: "${url}", summaryUrl: "${url}", accountUrl: "${url}", triggerUrl: "${url}"}\nkeys:\n  - alias: demo\n    secret: {env: EKM_CLI_TEST_KEY}\n`,
  );
}, 30_000);

afterAll(async () => {
  server.kill('SIGINT');
  await once(server, 'exit');
  rmSync(dir, { recursive: true, force: true });
});

describe('ekm-pipeline fake-cloud / meters / read (CLI)', () => {
  it('lists meters through the Account API despite injected 429s', async () => {
    const res = await cli('meters', '--config', config, '--json');
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as { meters: { meter: string }[] };
    expect(body.meters.map((m) => m.meter)).toContain('000350000900');
  }, 30_000);

  it('reads realtime and summary data as JSON and as text', async () => {
    const rt = await cli('read', 'realtime', '--config', config, '--meters', '350000900~10068', '--cnt', '3', '--json');
    expect(rt.code).toBe(0);
    const reads = JSON.parse(rt.stdout) as { meter: string; fields: Record<string, unknown> }[];
    expect(reads).toHaveLength(6);
    expect(typeof reads[0]!.fields.kWh_Tot).toBe('number');
    const sum = await cli(
      'read',
      'summary',
      '--config',
      config,
      '--meters',
      '000350000900',
      '--report',
      'hr',
      '--start',
      new Date(Date.now() - 5 * 3_600_000).toISOString(),
      '--end',
      new Date(Date.now() - 3_600_000).toISOString(),
      '--fields',
      'kWh_Tot_Diff',
    );
    expect(sum.code).toBe(0);
    expect(sum.stdout).toMatch(/000350000900 .* kWh_Tot_Diff=/);
  }, 30_000);

  it('fails with exit code 1 and the EKM status, never the key', async () => {
    const wrongMeter = await cli('read', 'realtime', '--config', config, '--meters', '999');
    expect(wrongMeter.code).toBe(1);
    expect(wrongMeter.stderr).toContain('1200');
    expect(wrongMeter.stderr).not.toContain('MTAxMDoyMDIw');
  }, 30_000);
});
