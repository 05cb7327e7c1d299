import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeInvoiceFiles } from '../../functions/adapters/invoice-files';
import { ValidationError } from '../../functions/core/errors';
import { invoiceSample, sampleInvoice } from '../fixtures/billing/invoice-sample';

async function readAll(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

describe('writeInvoiceFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-files-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a JSON and an HTML file per invoice and one CSV per property and month', async () => {
    // Prepare
    const dir = join(root, 'out', '2026-04');
    const invoices = [
      invoiceSample,
      sampleInvoice({ tenant: 'unit-5a', tenantName: 'Lee Park' }),
      sampleInvoice({ property: 'Oak Court' }),
    ];

    // Act
    const { files } = await writeInvoiceFiles(dir, invoices);

    // Assess
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'elm-street-2026-04-unit-4b.json',
      'elm-street-2026-04-unit-4b.html',
      'elm-street-2026-04-unit-5a.json',
      'elm-street-2026-04-unit-5a.html',
      'oak-court-2026-04-unit-4b.json',
      'oak-court-2026-04-unit-4b.html',
      'invoices-elm-street-2026-04.csv',
      'invoices-oak-court-2026-04.csv',
    ]);
    expect((await readdir(dir)).sort()).toEqual(files.map((f) => f.slice(dir.length + 1)).sort());
    const json = JSON.parse(await readFile(files[0]!, 'utf8'));
    expect(json).toMatchObject({ property: 'elm-street', tenant: 'unit-4b', total_minor: 21479 });
    const csv = await readFile(join(dir, 'invoices-elm-street-2026-04.csv'), 'utf8');
    expect(csv.split('\r\n')).toHaveLength(1 + 2 * invoiceSample.lines.length + 1);
    expect(await readFile(files[1]!, 'utf8')).toContain('id="total">$214.79</td>');
  });

  it('replaces every file with identical bytes on a re-run and leaves no temp files', async () => {
    // Prepare
    await writeInvoiceFiles(root, [invoiceSample]);
    const first = await readAll(root);

    // Act
    await writeInvoiceFiles(root, [structuredClone(invoiceSample)]);

    // Assess
    expect(await readAll(root)).toEqual(first);
    expect(Object.keys(first).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('renders the HTML from a user template', async () => {
    // Prepare
    const template = join(root, 'mine.html');
    await writeFile(template, '<h1>{{tenant_name}} owes {{total}}</h1>\n');

    // Act
    const { files } = await writeInvoiceFiles(join(root, 'out'), [invoiceSample], { template });

    // Assess
    expect(await readFile(files[1]!, 'utf8')).toBe('<h1>Ana María Ortega owes $214.79</h1>\n');
  });

  it('fails when the --template file does not exist, naming the flag and the path, and writes nothing', async () => {
    // Prepare
    const dir = join(root, 'out');
    const template = join(root, 'missing.html');

    // Act
    const act = writeInvoiceFiles(dir, [invoiceSample], { template });

    // Assess
    await expect(act).rejects.toThrow(ValidationError);
    await expect(writeInvoiceFiles(dir, [invoiceSample], { template })).rejects.toThrow(
      `--template: cannot read the invoice template ${JSON.stringify(template)} (no such file)`,
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('fails when --template is a directory', async () => {
    await expect(writeInvoiceFiles(join(root, 'out'), [invoiceSample], { template: root })).rejects.toThrow(
      /--template: cannot read the invoice template .* \(it is a directory\)/,
    );
  });

  it('fails when the --template file has an unknown placeholder, naming it, and writes nothing', async () => {
    // Prepare
    const dir = join(root, 'out');
    const template = join(root, 'typo.html');
    await writeFile(template, '<p>{{tenant_nam}}</p>');

    // Act
    const act = writeInvoiceFiles(dir, [invoiceSample], { template });

    // Assess
    await expect(act).rejects.toThrow(
      `--template: ${template}: unknown placeholder {{tenant_nam}} on line 1; text values are title, invoice_id`,
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('fails when a later invoice does not add up, and writes nothing', async () => {
    // Prepare
    const dir = join(root, 'out');

    // Act
    const act = writeInvoiceFiles(dir, [invoiceSample, sampleInvoice({ tenant: 'unit-9', totalMinor: 1 })]);

    // Assess
    await expect(act).rejects.toThrow('totalMinor: invoice elm-street/unit-9: total 1 is not the sum of its lines');
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('fails when two invoices would be written as the same id, and writes nothing', async () => {
    // Prepare
    const dir = join(root, 'out');

    // Act
    const act = writeInvoiceFiles(dir, [invoiceSample, sampleInvoice({ tenant: 'Unit 4B' })]);

    // Assess
    await expect(act).rejects.toThrow(
      'invoices: two invoices would both be written as elm-street-2026-04-unit-4b ("unit-4b" and "Unit 4B" of "elm-street")',
    );
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });
});

describe('writeFileAtomic', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('replaces the content of an existing file', async () => {
    // Prepare
    const path = join(root, 'a.json');
    await writeFile(path, 'old');

    // Act
    await writeFileAtomic(path, 'new');

    // Assess
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(root)).toEqual(['a.json']);
  });

  it('fails when the target cannot be replaced, leaving no temp file behind', async () => {
    // Prepare: a non-empty directory where the file should go makes the rename fail.
    const path = join(root, 'a.html');
    await mkdir(join(path, 'inside'), { recursive: true });

    // Act
    const act = writeFileAtomic(path, 'x');

    // Assess
    await expect(act).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(await readdir(root)).toEqual(['a.html']);
  });
});
