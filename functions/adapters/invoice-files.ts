import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Invoice } from '../core/billing/model';
import { renderInvoicesCsv } from '../core/billing/render-csv';
import { assertRenderable, invoiceId, slug } from '../core/billing/render-format';
import { checkInvoiceTemplate, DEFAULT_INVOICE_TEMPLATE, renderInvoiceHtml } from '../core/billing/render-html';
import { invoiceToJson } from '../core/billing/render-json';
import { asError, ValidationError } from '../core/errors';

export interface WriteInvoiceFilesOptions {
  /** Path of a user HTML template (`--template`); the default page when omitted. */
  readonly template?: string;
}

/**
 * Read and check a user invoice template. Every problem is a ValidationError naming `--template`:
 * a missing or unreadable file, or a placeholder the renderer does not know.
 */
export async function loadInvoiceTemplate(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // Read `code` structurally: fs errors can come from another realm (jest), failing `instanceof Error`.
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : asError(err).message;
    throw new ValidationError(
      '--template',
      `cannot read the invoice template ${JSON.stringify(path)} (${why}); pass an HTML file (start from templates/invoice.html) or leave --template out for the default page`,
      { cause: err },
    );
  }
  try {
    checkInvoiceTemplate(text);
  } catch (err) {
    if (err instanceof ValidationError) {
      const detail = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
      throw new ValidationError('--template', `${path}: ${detail}`, { cause: err });
    }
    throw err;
  }
  return text;
}

/**
 * Write a file so that readers only ever see the old or the whole new content: write a temp file
 * beside it, flush it to disk, then rename it over the target (atomic on one file system).
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Invoices rendered and written at once by {@link writeInvoiceFiles}. */
const WRITE_CONCURRENCY = 16;

/** The CSV file of one property and month: `invoices-<property>-<YYYY-MM>.csv`. */
export function invoiceCsvName(invoice: Invoice): string {
  return `invoices-${slug(invoice.property)}-${invoice.period.start.slice(0, 7)}.csv`;
}

/**
 * Write the files of a billing run into `dir` (created if missing):
 * - per invoice `<invoiceId>.json` (the `--json` shape of one invoice) and `<invoiceId>.html`;
 * - one CSV per property and month, `invoices-<property>-<YYYY-MM>.csv`, its rows in the order the
 *   invoices were given (a run normally bills one property-month, so one CSV).
 *
 * Everything that can fail is checked before the first file is written: the template, two invoices
 * with the same id, totals that are not the sum of their lines, unknown currencies. Then each
 * invoice is rendered and written, 16 invoices at a time (memory stays flat for 10,000 tenants), each
 * file replaced atomically (written, flushed, renamed). Output depends only on the invoices and the template, so re-running
 * replaces every file with identical bytes.
 *
 * @returns the written paths (`dir` joined with the file name), in write order.
 * @throws ValidationError naming `--template` for an unreadable or invalid template, or naming the
 *   invoice id when two invoices would write the same files.
 */
export async function writeInvoiceFiles(
  dir: string,
  invoices: readonly Invoice[],
  opts: WriteInvoiceFilesOptions = {},
): Promise<{ files: string[] }> {
  const template = opts.template === undefined ? DEFAULT_INVOICE_TEMPLATE : await loadInvoiceTemplate(opts.template);

  const seen = new Map<string, Invoice>();
  const csvGroups = new Map<string, Invoice[]>();
  for (const invoice of invoices) {
    assertRenderable(invoice);
    const id = invoiceId(invoice);
    const other = seen.get(id);
    if (other) {
      throw new ValidationError(
        'invoices',
        `two invoices would both be written as ${id} (${JSON.stringify(other.tenant)} and ${JSON.stringify(invoice.tenant)} of ${JSON.stringify(invoice.property)}); their property and tenant ids must differ as slugs`,
      );
    }
    seen.set(id, invoice);
    const csv = invoiceCsvName(invoice);
    const group = csvGroups.get(csv);
    if (group) group.push(invoice);
    else csvGroups.set(csv, [invoice]);
  }

  await mkdir(dir, { recursive: true });
  // Paths in write order (each invoice's JSON then HTML, then the CSVs), whatever order the
  // concurrent writes finish in.
  const ids = [...seen.keys()];
  const files: string[] = [];
  for (const id of ids) files.push(join(dir, `${id}.json`), join(dir, `${id}.html`));
  for (const name of csvGroups.keys()) files.push(join(dir, name));
  // A few invoices in flight at once: each file is still written, flushed and renamed on its own
  // (atomic replacement), but the flushes overlap instead of waiting one after another, which was
  // most of the time of a 10,000-tenant run. Memory stays bounded by the pages in flight.
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const invoice = seen.get(id)!;
      try {
        await writeFileAtomic(join(dir, `${id}.json`), `${JSON.stringify(invoiceToJson(invoice), null, 2)}\n`);
        await writeFileAtomic(join(dir, `${id}.html`), renderInvoiceHtml(invoice, template));
      } catch (err) {
        next = ids.length; // the first failure stops the other workers from starting more invoices
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, ids.length) }, worker));
  for (const [name, group] of csvGroups) await writeFileAtomic(join(dir, name), renderInvoicesCsv(group));
  return { files };
}
