import { FileBillingSource, FileReadingsSource, LakeReadingsNotAvailable } from '../adapters/billing-files';
import { DynamoBillingStore } from '../adapters/dynamo-billing-store';
import { dynamoClientFromConfig } from '../adapters/dynamo-state-table';
import { writeInvoiceFiles } from '../adapters/invoice-files';
import { LakeReadingsSource } from '../adapters/lake-readings';
import { ObjectBillingSource } from '../adapters/object-billing-source';
import { S3ObjectStore } from '../adapters/s3-object-store';
import type { CloseBillingConfig } from '../config/close-billing-config';
import type { ProjectConfig } from '../config/project-config';
import type { BillingFile } from '../core/billing/billing-file';
import type { Invoice } from '../core/billing/model';
import { ValidationError } from '../core/errors';
import type { BillingFileSource, ReadingsSource } from '../ports/billing-sources';
import { type Clock, systemClock } from '../ports/clock';
import type { ObjectStore } from '../ports/object-store';
import { checkAllTariffs, makeBillMonth } from '../use-cases/bill-month';
import { makeCloseBillingMonth } from '../use-cases/close-billing-month';
import { makeCreditNote } from '../use-cases/credit-note';
import { BILLING_LEASE_TTL_MS, billingLeaseName, makeDraftBillingMonth } from '../use-cases/draft-billing-month';
import { makeScheduledClose } from '../use-cases/scheduled-close';

export type { ScheduledCloseInput, ScheduledCloseResult } from '../use-cases/scheduled-close';

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
  /** Without `readingsFile`: read usage from this lake (functions/adapters/lake-readings.ts). */
  readonly lake?: {
    readonly bucket: string;
    readonly prefix?: string;
    readonly endpoint?: string;
    readonly region?: string;
  };
}

function billingSources(
  opts: BillFromFilesOptions & { readonly billingSource?: BillingFileSource; readonly readingsSource?: ReadingsSource },
) {
  return {
    billing: opts.billingSource ?? new FileBillingSource(opts.billingFile),
    readings: opts.readingsSource
      ? opts.readingsSource
      : opts.readingsFile
        ? new FileReadingsSource(opts.readingsFile, opts.onRows)
        : opts.lake
          ? new LakeReadingsSource(S3ObjectStore.fromConfig(opts.lake), { prefix: opts.lake.prefix ?? '' })
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
  /** The billing file from elsewhere than disk (S3 for the Lambda); `billingFile` then only names it. */
  readonly billingSource?: BillingFileSource;
  /** Reads from elsewhere than `readingsFile` (npm start: the local lake). */
  readonly readingsSource?: ReadingsSource;
  /** The state table (DynamoDB) where drafts, leases and closed invoices are kept. */
  readonly state: { readonly table: string; readonly endpoint?: string; readonly region?: string };
  /** Where closed invoices are published (S3 or an S3-compatible server). */
  readonly lake: {
    readonly bucket: string;
    /** The lake prefix: invoices go under `<prefix>invoices/`. */
    readonly prefix?: string;
    readonly endpoint?: string;
    readonly region?: string;
  };
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
  const objects = prefixed(S3ObjectStore.fromConfig(opts.lake), opts.lake.prefix ?? '');
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
    store,
    objects,
    creditNote: makeCreditNote({ ...common, objects, ...template }),
    /** Release the state-table client. */
    dispose: () => dynamo.destroy(),
  };
}

/** An object store seen under a key prefix (the lake's `prefix`), so invoices sit beside the datasets. */
function prefixed(objects: ObjectStore, prefix: string): ObjectStore {
  if (!prefix) return objects;
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    put: (k, b, c) => objects.put(`${p}${k}`, b, c),
    get: (k) => objects.get(`${p}${k}`),
    list: async (q) => (await objects.list(`${p}${q}`)).map((o) => ({ ...o, key: o.key.slice(p.length) })),
    delete: (keys) => objects.delete(keys.map((k) => `${p}${k}`)),
  };
}

/**
 * The close over a project config (`ekm-pipeline bill`, `bill close`, `bill credit`, `npm start`):
 * drafts, leases and invoices in its state table; invoices published under `invoices/` of its lake
 * bucket (after the lake prefix).
 */
export function openBillingCloseFromConfig(
  config: ProjectConfig,
  opts: Omit<BillingCloseOptions, 'state' | 'lake' | 'billingFile'> & { readonly billingFile?: string },
) {
  if (!config.state)
    throw new ValidationError(
      `${config.file}: /state`,
      'no state table configured; the monthly close keeps drafts and invoices there: add state: { table: NAME } (and endpoint for DynamoDB Local)',
    );
  if (!config.lake)
    throw new ValidationError(
      `${config.file}: /lake`,
      'no lake configured; closed invoices are published under invoices/ in the lake bucket: add lake: { bucket: NAME }',
    );
  return openBillingClose({ ...opts, billingFile: opts.billingFile ?? '', state: config.state, lake: config.lake });
}

/** `bill unlock`: release a property's billing lease left by a dead draft, close or credit note. */
export async function releaseBillingLease(
  config: ProjectConfig,
  property: string,
  opts: { readonly force: boolean; readonly clock?: Clock },
): Promise<{
  readonly lease: string;
  readonly owner?: string;
  readonly leaseUntilMs?: number;
  readonly released: boolean;
  readonly expired: boolean;
}> {
  const close = openBillingCloseFromConfig(config, {});
  try {
    const lease = billingLeaseName(property);
    const held = await close.store.getLease(lease);
    if (!held) return { lease, released: false, expired: true };
    const expired = held.leaseUntilMs <= (opts.clock ?? systemClock).now();
    if (expired || opts.force) await close.store.releaseLease(lease, held.owner);
    return { lease, owner: held.owner, leaseUntilMs: held.leaseUntilMs, released: expired || opts.force, expired };
  } finally {
    close.dispose();
  }
}

/** How long a billing lease lasts (for messages). */
export const BILLING_LEASE_SECONDS = Math.ceil(BILLING_LEASE_TTL_MS / 1000);

/** The scheduled close of the `close-billing` Lambda: the billing file from S3, the rest as the CLI. */
export function openScheduledClose(config: CloseBillingConfig, opts: { readonly clock?: Clock } = {}) {
  const clock = opts.clock ?? systemClock;
  const lakeObjects = S3ObjectStore.fromConfig({ bucket: config.bucket });
  const billingSource = new ObjectBillingSource(
    lakeObjects,
    config.billingFileKey,
    `s3://${config.bucket}/${config.billingFileKey}`,
  );
  const close = openBillingClose({
    billingFile: billingSource.file,
    billingSource,
    state: { table: config.table },
    lake: { bucket: config.bucket, prefix: config.prefix },
    clock,
  });
  return makeScheduledClose({
    billing: billingSource,
    store: close.store,
    clock,
    draft: close.draft,
    close: close.close,
  });
}
