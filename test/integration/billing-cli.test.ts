import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const SAM = join(ROOT, 'test/fixtures/billing/sam-residential-tou');

// Each month is one run of the real binary (bin/ekm-pipeline.cjs through tsx, ~1-3 s); they run
// three at a time so the year stays well under a minute on a busy 2-core machine.
jest.setTimeout(180_000);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[]): Promise<Run> {
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

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface JsonInvoice {
  property: string;
  tenant: string;
  period: { start: string; end: string };
  currency: string;
  kwh: number;
  total_minor: number;
  lines: { kind: string; amount_minor: number; amount: number }[];
  flags: { code: string }[];
}

const SAM_BILLING = `version: 1
currency: USD
properties:
  - id: sam
    timezone: UTC
    plans:
      - id: sam-tou
        versions: [{ from: 2018-01-01, urdb: tariff.urdb.json }]
    tenants:
      - { id: residence, name: SAM residence, meters: ["000300000001"], plan: sam-tou }
`;

describe('ekm-pipeline bill (the real CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'billing-cli-'));
    copyFileSync(join(SAM, 'tariff.urdb.json'), join(dir, 'tariff.urdb.json'));
    writeFileSync(join(dir, 'billing.yaml'), SAM_BILLING);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("agrees with NREL SAM's residential TOU case month by month and over 2018", async () => {
    // Prepare
    const expected = JSON.parse(readFileSync(join(SAM, 'expected.json'), 'utf8')) as {
      monthly_usd_unrounded: number[];
      sam_annual_usd: number;
    };
    const months = Array.from({ length: 12 }, (_, m) => `2018-${String(m + 1).padStart(2, '0')}`);
    // Act
    const runs = await mapLimit(months, 3, (month) =>
      spawnCli([
        'bill',
        '--billing',
        join(dir, 'billing.yaml'),
        '--month',
        month,
        '--readings',
        join(SAM, 'readings.csv'),
        '--json',
      ]),
    );
    // Assess
    const totals = runs.map((run, m) => {
      expect({ month: months[m], code: run.code, stderr: run.stderr }).toEqual({
        month: months[m],
        code: 0,
        stderr: '',
      });
      const doc = JSON.parse(run.stdout) as { invoices: JsonInvoice[] };
      expect(doc.invoices).toHaveLength(1);
      const inv = doc.invoices[0]!;
      expect(inv).toMatchObject({ property: 'sam', tenant: 'residence', currency: 'USD', flags: [] });
      expect(inv.total_minor).toBe(inv.lines.reduce((s, l) => s + l.amount_minor, 0));
      // Within a cent per line of SAM's unrounded month.
      const tolerance = 0.01 * inv.lines.length;
      expect(Math.abs(inv.total_minor / 100 - expected.monthly_usd_unrounded[m]!)).toBeLessThanOrEqual(tolerance);
      return inv.total_minor / 100;
    });
    const year = totals.reduce((s, x) => s + x, 0);
    expect(Math.abs(year - expected.sam_annual_usd)).toBeLessThanOrEqual(0.3);
  });

  it('writes per-invoice JSON and HTML and one CSV with --out, and nothing with --dry-run', async () => {
    // Prepare
    const out = join(dir, 'out');
    const dry = join(dir, 'dry');
    const args = ['bill', '--billing', join(dir, 'billing.yaml'), '--month', '2018-03'];
    const readings = ['--readings', join(SAM, 'readings.csv')];
    // Act
    const [written, dryRun] = await Promise.all([
      spawnCli([...args, ...readings, '--out', out]),
      spawnCli([...args, ...readings, '--out', dry, '--dry-run']),
    ]);
    // Assess
    expect(written.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'invoices-sam-2018-03.csv',
      'sam-2018-03-residence.html',
      'sam-2018-03-residence.json',
    ]);
    expect(written.stdout).toMatch(/residence\s+\S+\s+\S+\s+37\.9\d USD/);
    expect(written.stdout).toContain(join(out, 'sam-2018-03-residence.html'));
    const json = JSON.parse(readFileSync(join(out, 'sam-2018-03-residence.json'), 'utf8')) as JsonInvoice;
    expect(json.period).toEqual({ start: '2018-03-01', end: '2018-03-31' });
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('Dry run: nothing written.');
    expect(() => readdirSync(dry)).toThrow();
  });

  it('fails naming the line of a malformed readings row', async () => {
    // Prepare
    const csv = join(dir, 'bad.csv');
    const lines = readFileSync(join(SAM, 'readings.csv'), 'utf8').split('\n').slice(0, 30);
    lines[16] = '000300000001,2018-01-01T03:45:00Z,abc';
    writeFileSync(csv, lines.join('\n'));
    // Act
    const run = await spawnCli([
      'bill',
      '--billing',
      join(dir, 'billing.yaml'),
      '--month',
      '2018-01',
      '--readings',
      csv,
    ]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: ${csv}:17: kWh_Tot "abc" is not a number\n`);
  });

  it('fails with exit 1 and the JSON pointer on a bad billing file (bill and billing validate)', async () => {
    // Prepare
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, SAM_BILLING.replace('plan: sam-tou }', 'plan: sam-tou, moveIn: 2018-13-01 }'));
    // Act
    const [bill, validate, validateJson, good] = await Promise.all([
      spawnCli(['bill', '--billing', bad, '--month', '2018-01', '--readings', join(SAM, 'readings.csv')]),
      spawnCli(['billing', 'validate', bad]),
      spawnCli(['billing', 'validate', bad, '--json']),
      spawnCli(['billing', 'validate', join(dir, 'billing.yaml')]),
    ]);
    // Assess
    const message = `${bad}: /properties/0/tenants/0/moveIn: expected a date YYYY-MM-DD, got "2018-13-01"`;
    expect(bill.code).toBe(1);
    expect(bill.stderr).toContain(`error: ${message}`);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain(message);
    expect(validateJson.code).toBe(1);
    expect(JSON.parse(validateJson.stdout)).toMatchObject({
      ok: false,
      issues: [{ file: bad, path: '/properties/0/tenants/0/moveIn' }],
    });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/valid: 1 property, 1 tenant\(s\), 1 tariff version\(s\) parsed/);
  });

  it('asks for --readings (the lake path is not built yet) and shows a tariff', async () => {
    const [noReadings, show] = await Promise.all([
      spawnCli(['bill', '--billing', join(dir, 'billing.yaml'), '--month', '2018-01']),
      spawnCli(['tariff', 'show', join(SAM, 'tariff.urdb.json')]),
    ]);
    expect(noReadings.code).toBe(1);
    expect(noReadings.stderr).toMatch(/--readings: .*pass --readings FILE/);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Tariff: /);
  });
});
