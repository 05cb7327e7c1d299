import { FileBillingSource, FileReadingsSource, LakeReadingsNotAvailable } from '../adapters/billing-files';
import { DynamoBillingStore } from '../adapters/dynamo-billing-store';
import { dynamoClientFromConfig } from '../adapters/dynamo-state-table';
import { writeInvoiceFiles } from '../adapters/invoice-files';
import { S3ObjectStore } from '../adapters/s3-object-store';
import type { BillingFile } from '../core/billing/billing-file';
import type { Invoice } from '../core/billing/model';
import { type Clock, systemClock } from '../ports/clock';
import { checkAllTariffs, makeBillMonth } from '../use-cases/bill-month';
import { makeCloseBillingMonth } from '../use-cases/close-billing-month';
import { makeCreditNote } from '../use-cases/credit-note';
import { makeDraftBillingMonth } from '../use-cases/draft-billing-month';

/**
 * Composition of tenant billing for `ekm-pipeline bill`, `billing validate`, `npm start` and the
 * monthly close: one place builds the file, store and object adapters and wires the use-cases.
 */

export interface BillFromFilesOptions {
  /** The billing file (YAML or JSON). */
  readonly billingFile: string;
  /** Register reads (CSV or a realtime lake Parquet file); without it, reads would come from the lake (not built yet). */
  readonly readingsFile?: string;
  /** Called after the readings file is loaded, with its row count. */
  readonly onRows?: (rows: number) => void;
  /** Called when a property starts (progress on stderr for long runs). */
  readonly onProperty?: (propertyId: string, index: number, total: number) => void;
}

function billingSources(opts: BillFromFilesOptions) {
  return {
    billing: new FileBillingSource(opts.billingFile),
    readings: opts.readingsFile
      ? new FileReadingsSource(opts.readingsFile, opts.onRows)
      : new LakeReadingsNotAvailable(),
  };
}

/** `bill`: price a month from a billing file and a readings file. */
export function billMonthFromFiles(opts: BillFromFilesOptions) {
  return makeBillMonth({
    ...billingSources(opts),
    ...(opts.onProperty ? { onProperty: opts.onProperty } : {}),
  });
}

/** Per invoice JSON + HTML, one CSV per property for accounting (`bill --out`, `npm start`). */
export function writeInvoices(
  dir: string,
  invoices: readonly Invoice[],
  opts: { readonly template?: string } = {},
): Promise<{ files: string[] }> {
  return writeInvoiceFiles(dir, invoices, opts);
}

/** `billing validate`: the billing file parsed and checked, and every tariff it names parsed. */
export async function validateBillingFile(
  file: string,
): Promise<{ billing: BillingFile; tariffs: { versions: number; errors: string[] } }> {
  const source = new FileBillingSource(file);
  const billing = await source.load();
  return { billing, tariffs: await checkAllTariffs(source, billing) };
}

export interface BillingCloseOptions extends BillFromFilesOptions {
  /** The state table (DynamoDB) where drafts, leases and closed invoices are kept. */
  readonly state: { readonly table: string; readonly endpoint?: string; readonly region?: string };
  /** Where closed invoices are published (S3 or an S3-compatible server). */
  readonly lake: { readonly bucket: string; readonly endpoint?: string; readonly region?: string };
  readonly clock?: Clock;
  /** Lease owner (a run id); default a random one. */
  readonly owner?: string;
  /** An HTML template (text, already checked); the default page when omitted. */
  readonly template?: string;
}

/** The monthly close over the state table and the lake bucket: draft, close, credit note. */
export function openBillingClose(opts: BillingCloseOptions) {
  const dynamo = dynamoClientFromConfig(opts.state);
  const store = new DynamoBillingStore(dynamo, opts.state.table);
  const objects = S3ObjectStore.fromConfig(opts.lake);
  const clock = opts.clock ?? systemClock;
  const common = {
    store,
    clock,
    ...(opts.owner ? { owner: opts.owner } : {}),
  };
  const template = opts.template !== undefined ? { template: opts.template } : {};
  return {
    draft: makeDraftBillingMonth({
      ...common,
      ...billingSources(opts),
    }),
    close: makeCloseBillingMonth({ ...common, objects, ...template }),
    creditNote: makeCreditNote({ ...common, objects, ...template }),
    /** Release the state-table client. */
    dispose: () => dynamo.destroy(),
  };
}
