import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { billingCloseStage, demoCloseMonth } from '../../local/demo/billing-close-stage';
import { cloudStage } from '../../local/demo/cloud-stage';
import { lakeStage } from '../../local/demo/lake-stage';
import { runDemo } from '../../local/demo/run-demo';

// The npm start close stage end to end: local EKM cloud → summary backfill of last month into the
// local lake (s3rver + DynamoDB Local) → drafts → close → invoices, then a second run converges.

const ROOT = join(__dirname, '..', '..');
jest.setTimeout(240_000);

describe('billing close demo stage (npm start)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'billing-close-stage-'));
    symlinkSync(join(ROOT, 'examples'), join(work, 'examples'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('closes the last full month of the simulated tenants and prints each total with its HTML invoice; a re-run converges', async () => {
    // Prepare
    const { month } = demoCloseMonth(Date.now());
    const run = async () => {
      const log: string[] = [];
      const r = await runDemo([cloudStage, lakeStage, billingCloseStage], {
        rootDir: work,
        serve: false,
        log: (l) => log.push(l),
      });
      return { r, lines: r.stages[2]?.lines ?? [], log };
    };
    // Act
    const first = await run();
    // Assess
    expect(first.r.stages.map((s) => s.error)).toEqual([undefined, undefined, undefined]);
    expect(first.lines[0]).toMatch(/^backfill: \d+ 15-minute summaries of 4 meters/);
    expect(first.lines[1]).toContain(`demo-building ${month}: 3 drafts → 3 invoices`);
    const tenants = first.lines.slice(2);
    expect(tenants.map((l) => l.split(' ')[0])).toEqual(['unit-a', 'unit-b', 'unit-c']);
    for (const line of tenants) {
      const m = /: \$([\d,]+\.\d\d) for ([\d.]+) kWh → (.+\.html)$/.exec(line);
      expect(m).not.toBeNull();
      expect(Number(m?.[2])).toBeGreaterThan(0);
      const html = join(work, '.local', 'invoices', 'demo-building', month, (m?.[3] ?? '').split('/').at(-1) ?? '');
      expect(existsSync(html)).toBe(true);
      expect(readFileSync(html, 'utf8')).toContain('Unit');
    }
    // Unit A's move-in is the 11th of the month closed (a part-month invoice).
    expect(readFileSync(join(work, '.local', 'billing', 'billing.yaml'), 'utf8')).toContain(`moveIn: ${month}-11`);

    // Act: run again (the month is closed)
    const second = await run();
    // Assess: same invoices, nothing renumbered
    expect(second.lines[1]).toContain('already closed (unchanged)');
    expect(second.lines.slice(2)).toEqual(tenants);
  });
});
