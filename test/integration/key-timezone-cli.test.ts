import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStageConfig } from '../../lib/config/stage-config';
import { DEMO_ACCOUNT_KEY, DEMO_METER_ID } from '../../local/ekm-cloud/identities';
import { type FakeCloud, startFakeCloud } from '../../local/ekm-cloud/server';

/** keys[].timezone is validated wherever it is read and sets the summary day boundaries. */
const ROOT = join(__dirname, '../..');
let cloud: FakeCloud;
jest.setTimeout(60_000);

beforeAll(async () => {
  cloud = await startFakeCloud({ seed: 3 });
});
afterAll(async () => cloud?.close());

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args], { cwd: ROOT }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

function config(timezone: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ekm-tz-')), 'ekm-pipeline.yaml');
  writeFileSync(
    file,
    `version: 1\nekm: { realtimeUrl: "${cloud.url}", summaryUrl: "${cloud.url}", accountUrl: "${cloud.url}", triggerUrl: "${cloud.url}" }\nkeys:\n  - alias: demo\n    secret: { value: ${DEMO_ACCOUNT_KEY} }\n    timezone: ${timezone}\n`,
  );
  return file;
}

describe('keys[].timezone', () => {
  it('fails when the config names a zone that does not exist, naming file and path', async () => {
    const file = config('Mars/Olympus');
    const r = await cli(['meters', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: /keys/0/timezone: unknown time zone "Mars/Olympus"`);
  });

  it('sets the day boundaries of read summary (local midnight, not UTC)', async () => {
    // Prepare
    const file = config('America/New_York');
    const day = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const args = ['read', 'summary', '--config', file, '--meters', DEMO_METER_ID, '--report', 'dy', '--json'];
    // Act
    const r = await cli([...args, '--start', `${day}0000`, '--end', `${day}2359`]);
    // Assess: the day starts at midnight in New York (04:00 or 05:00 UTC).
    expect(r.code).toBe(0);
    const buckets = JSON.parse(r.stdout) as { startMs: number }[];
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) expect([4, 5]).toContain(new Date(b.startMs).getUTCHours());
  });

  it('fails when --timezone names a zone that does not exist, naming the flag', async () => {
    const r = await cli([
      'read',
      'summary',
      '--config',
      config('UTC'),
      '--meters',
      DEMO_METER_ID,
      '--start',
      '202601010000',
      '--end',
      '202601020000',
      '--timezone',
      'Mars/Olympus',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --timezone: unknown time zone "Mars\/Olympus"/);
  });

  it('fails at synth when a stage key names an unknown zone', () => {
    expect(() =>
      parseStageConfig({
        stageName: 'dev',
        keys: [{ alias: 'a', secret: { secretsManager: 's' }, timezone: 'Mars/Olympus' }],
      }),
    ).toThrow(/keys\[0\]\.timezone must be an IANA time zone.*Mars\/Olympus/);
  });
});
