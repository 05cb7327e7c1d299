/**
 * Close a property's month (docs/billing.md "Monthly close"): number and freeze its drafts, then
 * publish the files. Every step can be interrupted (kill -9, Lambda timeout) and the same call
 * run again converges: numbers already given are kept, no number is skipped or used twice, a
 * closed invoice never changes, and the files are rewritten with the same bytes.
 *
 * Input: the month and the property. Output: the invoices with their numbers and the published keys.
 * 1. Take the property's billing lease (`BILLING_LOCKED` when another draft or close holds it);
 *    it is renewed every third of its length and a renewal that fails stops the close (`LEASE_LOST`).
 * 2. The month goes `open` → `closing` (drafts can no longer be replaced), with its snapshot hash.
 * 3. Per draft, in tenant order: `freeze` gives the next number of the property and writes the
 *    closed invoice in one transaction (an invoice closed by an earlier, interrupted run keeps
 *    its number).
 * 4. The month goes `closing` → `closed`.
 * 5. Publish through the object store: per invoice `invoices/<property>/<YYYY-MM>/<number>.json`
 *    and `.html`, then the month's CSV `invoices/<property>/<YYYY-MM>/invoices-<property>-<YYYY-MM>.csv`;
 *    then the month is marked published. Files are made only from the closed invoices, so a
 *    re-run writes identical bytes.
 */

import {
  type ClosedBody,
  canonicalJson,
  type DraftBody,
  documentNumber,
  draftsDigest,
  type InvoiceProvenance,
} from '../core/billing/close';
import type { Invoice } from '../core/billing/model';
import { renderInvoicesCsv } from '../core/billing/render-csv';
import { slug } from '../core/billing/render-format';
import { DEFAULT_INVOICE_TEMPLATE, renderInvoiceHtml } from '../core/billing/render-html';
import { type InvoiceJson, invoiceToJson } from '../core/billing/render-json';
import { EkmPipelineError, logBestEffortFailure } from '../core/errors';
import type { BillingStore, ClosedDocument } from '../ports/billing-store';
import type { Clock } from '../ports/clock';
import type { ObjectStore } from '../ports/object-store';
import { BILLING_LEASE_TTL_MS, billingLeaseName } from './draft-billing-month';

/** Named points of a close, where tests inject a crash (`faults`). */
export type CloseStep =
  | 'after-begin'
  | 'before-freeze'
  | 'after-freeze'
  | 'after-closed'
  | 'after-publish-file'
  | 'before-mark-published';

export interface CloseBillingMonthDeps {
  readonly store: BillingStore;
  readonly objects: ObjectStore;
  readonly clock: Clock;
  readonly owner?: string;
  readonly leaseTtlMs?: number;
  /** An HTML template (text, already checked); the default page when omitted. */
  readonly template?: string;
  /** Called at each step (tests throw here to simulate a crash). */
  readonly faults?: (step: CloseStep, detail: string) => void | Promise<void>;
}

export interface CloseBillingMonthInput {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly property: string;
}

export interface CloseBillingMonthResult {
  readonly property: string;
  readonly month: string;
  readonly invoices: readonly {
    readonly tenant: string;
    readonly number: string;
    readonly totalMinor: number;
    /** False when an earlier run had already closed it. */
    readonly created: boolean;
  }[];
  readonly published: readonly string[];
}

/** Object key prefix of a property's month: `invoices/<property>/<YYYY-MM>/`. */
export const invoicePrefix = (property: string, month: string) => `invoices/${slug(property)}/${month}/`;

/** The JSON file of a closed document: the invoice's JSON plus its number, kind and provenance. */
export function closedDocumentJson(body: ClosedBody): InvoiceJson & {
  readonly number: string;
  readonly document: ClosedBody['kind'];
  readonly provenance?: InvoiceProvenance;
  readonly refers_to?: string;
  readonly reason?: string;
} {
  return {
    number: body.number,
    document: body.kind,
    ...invoiceToJson(body.invoice),
    ...(body.provenance ? { provenance: body.provenance } : {}),
    ...(body.refersTo !== undefined ? { refers_to: body.refersTo } : {}),
    ...(body.reason !== undefined ? { reason: body.reason } : {}),
  };
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** Write a closed document's JSON and HTML; returns the keys. */
export async function publishDocument(
  objects: ObjectStore,
  doc: ClosedDocument,
  template: string = DEFAULT_INVOICE_TEMPLATE,
): Promise<string[]> {
  const body = JSON.parse(doc.body) as ClosedBody;
  const base = `${invoicePrefix(doc.property, doc.month)}${doc.number}`;
  await objects.put(`${base}.json`, utf8(`${JSON.stringify(closedDocumentJson(body), null, 2)}\n`), 'application/json');
  await objects.put(`${base}.html`, utf8(renderInvoiceHtml(body.invoice, template)), 'text/html; charset=utf-8');
  return [`${base}.json`, `${base}.html`];
}

export function makeCloseBillingMonth(deps: CloseBillingMonthDeps) {
  const ttl = deps.leaseTtlMs ?? BILLING_LEASE_TTL_MS;
  const fault = async (step: CloseStep, detail = '') => deps.faults?.(step, detail);
  return async (input: CloseBillingMonthInput): Promise<CloseBillingMonthResult> => {
    const { property, month } = input;
    const owner = deps.owner ?? `close-${deps.clock.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const lease = billingLeaseName(property);
    // Renewed at most every third of the lease (one write per invoice would double a 10,000-tenant
    // close): the lease then never has less than two thirds left when a write starts. Numbering
    // does not depend on it anyway: freezes are conditional.
    let renewedAt = deps.clock.now();
    const renew = async () => {
      const now = deps.clock.now();
      if (now - renewedAt < ttl / 3) return;
      renewedAt = now;
      if (!(await deps.store.acquireLease(lease, owner, ttl, now)))
        throw new EkmPipelineError(
          'LEASE_LOST',
          `the close of ${property} ${month} lost its lease to another run; what was closed stays closed, re-run it`,
        );
    };
    if (!(await deps.store.acquireLease(lease, owner, ttl, deps.clock.now()))) {
      const holder = await deps.store.getLease(lease);
      throw new EkmPipelineError(
        'BILLING_LOCKED',
        `another draft or close of property ${property} holds its lease (run ${holder?.owner}, until ${holder ? new Date(holder.leaseUntilMs).toISOString() : '?'}); nothing was done: retry once it finishes (a dead run's lease lapses within ${Math.ceil(ttl / 1000)} s)`,
      );
    }
    try {
      let status = await deps.store.getMonth(property, month);
      const drafts = await deps.store.listDrafts(property, month);
      if (!status || (status.status === 'open' && drafts.length === 0))
        throw new EkmPipelineError(
          'BILLING_NO_DRAFTS',
          `${month} of property ${property} has no drafts to close; draft the month first`,
        );
      if (status.status === 'open') {
        // Only a whole set of drafts made from the stored snapshot is frozen: a draft run cut short
        // (drafts half replaced, or a new snapshot without its drafts) is drafted again first.
        const snapshot = await deps.store.getSnapshot(property, month);
        const stale = drafts.filter(
          (d) => (JSON.parse(d.body) as DraftBody).provenance.snapshotHash !== snapshot?.hash,
        );
        if (!snapshot || status.draftsDigest !== draftsDigest(drafts) || stale.length > 0)
          throw new EkmPipelineError(
            'BILLING_DRAFTS_INCOMPLETE',
            `the drafts of ${property} ${month} are not one complete draft run (a draft was interrupted); nothing was closed: draft the month again, then close it`,
          );
        status = await deps.store.beginClose(property, month, snapshot.hash);
        await fault('after-begin');
      }

      const invoices: CloseBillingMonthResult['invoices'][number][] = [];
      if (status.status === 'closing') {
        // Invoices an interrupted run already froze keep their numbers (no write for them).
        const frozen = new Map((await deps.store.listClosed(property, month)).map((d) => [d.key, d]));
        for (const draft of drafts) {
          const done = frozen.get(draft.tenant);
          if (done) {
            invoices.push({ tenant: draft.tenant, number: done.number, totalMinor: done.totalMinor, created: false });
            continue;
          }
          await renew();
          await fault('before-freeze', draft.tenant);
          const { invoice, provenance } = JSON.parse(draft.body) as DraftBody;
          const { document, created } = await deps.store.freeze({
            property,
            month,
            key: draft.tenant,
            kind: 'invoice',
            closedAtMs: deps.clock.now(),
            build: (seq) => {
              const number = documentNumber(property, 'invoice', month, seq);
              const body: ClosedBody = { number, kind: 'invoice', invoice: { ...invoice, number }, provenance };
              return { number, totalMinor: invoice.totalMinor, body: canonicalJson(body) };
            },
          });
          invoices.push({ tenant: draft.tenant, number: document.number, totalMinor: document.totalMinor, created });
          await fault('after-freeze', draft.tenant);
        }
        await renew();
        await deps.store.finishClose(property, month, invoices.length, deps.clock.now());
        await fault('after-closed');
        status = { ...status, status: 'closed' };
      }

      const closed = (await deps.store.listClosed(property, month)).filter((d) => d.kind === 'invoice');
      if (invoices.length === 0)
        for (const d of closed)
          invoices.push({ tenant: d.key, number: d.number, totalMinor: d.totalMinor, created: false });
      const published: string[] = [];
      if (!status.published) {
        const forCsv: Invoice[] = [];
        for (const doc of closed) {
          await renew();
          published.push(...(await publishDocument(deps.objects, doc, deps.template)));
          forCsv.push((JSON.parse(doc.body) as ClosedBody).invoice);
          await fault('after-publish-file', doc.number);
        }
        if (forCsv.length > 0) {
          const csvKey = `${invoicePrefix(property, month)}invoices-${slug(property)}-${month}.csv`;
          await deps.objects.put(csvKey, utf8(renderInvoicesCsv(forCsv)), 'text/csv; charset=utf-8');
          published.push(csvKey);
        }
        await fault('before-mark-published');
        await deps.store.markPublished(property, month);
      }
      return { property, month, invoices, published };
    } finally {
      await deps.store
        .releaseLease(lease, owner)
        .catch((error: unknown) => logBestEffortFailure(`release billing lease ${lease}`, error));
    }
  };
}
