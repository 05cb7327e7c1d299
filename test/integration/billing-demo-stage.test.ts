import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DEMO_BILLING_MONTH, makeBillingStage } from '../../local/demo/billing-stage';
import type { DemoContext } from '../../local/demo/demo-context';

const ROOT = join(__dirname, '..', '..');

describe('billing demo stage (npm start)', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'billing-stage-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('bills the example month and reports each tenant total with its HTML invoice', async () => {
    // Prepare
    const logged: string[] = [];
    const ctx: DemoContext = {
      stateDir: join(work, '.local'),
      serve: false,
      log: (l) => logged.push(l),
      onClose: () => {},
      local: {},
    };
    const out = join(work, 'invoices');
    const stage = makeBillingStage({ examplesDir: join(ROOT, 'examples'), outDir: out });

    // Act
    const lines = await stage.run(ctx);

    // Assess
    const names = (await readdir(out)).sort();
    expect(names).toEqual(expect.arrayContaining([`invoices-elm-street-${DEMO_BILLING_MONTH}.csv`]));
    const htmls = names.filter((n) => n.endsWith('.html'));
    expect(htmls.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(htmls.length + 1);
    for (const html of htmls) {
      const line = lines.find((l) => l.endsWith(` → ${relative(work, join(out, html))}`));
      expect(line).toMatch(/^elm-street \S+ .*: \$[\d,]+\.\d\d for [\d,.]+ kWh, 2026-03-\d\d\.\.2026-03-31 → /);
      const total = /: (\$[\d,]+\.\d\d) for/.exec(line ?? '')?.[1];
      expect(await readFile(join(out, html), 'utf8')).toContain(`id="total">${total}</td>`);
    }
    expect(lines[lines.length - 1]).toBe(`accounting CSV: invoices/invoices-elm-street-${DEMO_BILLING_MONTH}.csv`);
    expect(logged).toEqual([`wrote ${names.length} files to invoices`]);
  });
});
