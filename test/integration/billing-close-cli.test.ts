import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { FILE, RECORD, reads } from '../fixtures/billing/close-fixture';

// The monthly close through the real CLI (bin/ekm-pipeline.cjs) against DynamoDB Local and the
// local S3 server: bill (drafts) → bill close → a re-run converges → bill credit; two closes at once.

const ROOT = join(__dirname, '../..');
jest.setTimeout(180_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin/ekm-pipeline.cjs'), ...args],
      { cwd: ROOT, env: { ...process.env, TZ: 'UTC' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

let aws: LocalAws;
let dir: string;
let config: string;
beforeAll(async () => {
  aws = await startLocalAws({ buckets: ['lake'] });
  dir = mkdtempSync(join(tmpdir(), 'bill-close-cli-'));
  await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), 'state');
  config = join(dir, 'ekm-pipeline.yaml');
  writeFileSync(
    config,
    `version: 1\nkeys: [{ alias: demo, secret: { value: unused } }]\nlake: { bucket: lake, endpoint: "${aws.s3Endpoint}" }\nstate: { table: state, endpoint: "${aws.dynamoEndpoint}" }\n`,
  );
  writeFileSync(join(dir, 'billing.yaml'), FILE);
  writeFileSync(join(dir, 'flat.json'), JSON.stringify(RECORD));
  const rows = ['meter,time,kWh_Tot'];
  for (const [meter, list] of reads(() => 1))
    for (const r of list) rows.push(`${meter},${new Date(r.timeMs).toISOString()},${r.kWhTot.toFixed(3)}`);
  writeFileSync(join(dir, 'readings.csv'), `${rows.join('\n')}\n`);
}, 90_000);
afterAll(async () => {
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bill = (...extra: string[]) =>
  cli([
    'bill',
    '--config',
    config,
    '--billing',
    join(dir, 'billing.yaml'),
    '--readings',
    join(dir, 'readings.csv'),
    '--month',
    '2026-03',
    '--property',
    'oak',
    ...extra,
  ]);

describe('ekm-pipeline bill close (the real CLI, DynamoDB Local + local S3)', () => {
  it('drafts, closes, converges on a re-run and credits a closed invoice', async () => {
    // Act: draft twice (the second replaces the first with the same bytes)
    const drafted = await bill('--json');
    expect(drafted.code).toBe(0);
    expect(JSON.parse(drafted.stdout).drafts.properties[0]).toMatchObject({
      property: 'oak',
      status: 'drafted',
      drafts: 2,
    });
    expect((await bill()).stdout).toContain('2 draft invoice(s) stored in state');

    // Act: close, mirrored into a folder
    const out = join(dir, 'mirror');
    const closed = await cli([
      'bill',
      'close',
      '--config',
      config,
      '--month',
      '2026-03',
      '--property',
      'oak',
      '--out',
      out,
    ]);
    // Assess
    expect(closed.stderr).toBe('');
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/Closed oak 2026-03: 2 invoice\(s\)/);
    const numbers = [...closed.stdout.matchAll(/^ {2}(\S+-0{3}\d)\s+(\w)\s/gm)].map((m) => [m[1], m[2]]);
    expect(numbers.map((n) => n[1])).toEqual(['x', 'y']);
    const html = join(out, 'invoices', 'oak', '2026-03', `${numbers[0]?.[0]}.html`);
    expect(existsSync(html)).toBe(true);
    const first = readFileSync(html);

    // Act: a re-run converges (no new numbers, files unchanged); bill on a closed month changes nothing
    const again = await cli(['bill', 'close', '--config', config, '--month', '2026-03', '--property', 'oak', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).closed[0].invoices.map((i: { created: boolean }) => i.created)).toEqual([
      false,
      false,
    ]);
    expect((await bill()).stdout).toContain('oak 2026-03 is already closed');
    expect(readFileSync(html)).toEqual(first);

    // Act: credit note, retried with the same request id
    const credit = ['bill', 'credit', '--config', config, '--property', 'oak', '--invoice', `${numbers[0]?.[0]}`];
    const note = await cli([...credit, '--reason', 'meter swap', '--amount', '5.00', '--request-id', 'T-1', '--json']);
    expect(note.code).toBe(0);
    const issued = JSON.parse(note.stdout);
    expect(issued).toMatchObject({ ok: true, refersTo: numbers[0]?.[0], amountMinor: 500, created: true });
    const retry = await cli([...credit, '--reason', 'meter swap', '--amount', '5.00', '--request-id', 'T-1', '--json']);
    expect(JSON.parse(retry.stdout)).toMatchObject({ number: issued.number, created: false });
  });

  it('lets one of two closes at once through and fails the other clearly (exit 1, BILLING_LOCKED)', async () => {
    // Prepare
    const draft = await cli([
      'bill',
      '--config',
      config,
      '--billing',
      join(dir, 'billing.yaml'),
      '--readings',
      join(dir, 'readings.csv'),
      '--month',
      '2026-04',
      '--property',
      'elm',
    ]);
    expect(draft.code).toBe(0);
    // Act
    const args = ['bill', 'close', '--config', config, '--month', '2026-04', '--property', 'elm'];
    const runs = await Promise.all([cli(args), cli(args)]);
    // Assess: never both failing; a loser says why and what to do
    expect(runs.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
    for (const r of runs.filter((x) => x.code !== 0)) expect(r.stderr).toMatch(/BILLING_LOCKED.*retry/);
    const after = await cli([...args, '--json']);
    expect(JSON.parse(after.stdout).closed[0].invoices).toHaveLength(3);
  });

  it('fails with exit 1 naming BILLING_NO_DRAFTS for a month never drafted, and releases a lease with bill unlock', async () => {
    const none = await cli(['bill', 'close', '--config', config, '--month', '2025-01', '--property', 'oak']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('BILLING_NO_DRAFTS');
    const unlock = await cli(['bill', 'unlock', '--config', config, '--property', 'oak']);
    expect(unlock.code).toBe(0);
    expect(unlock.stdout).toContain('bill-close#oak: no lease held');
  });
});
