/**
 * Correct a closed invoice with a credit note (docs/billing.md "Monthly close"): the invoice is
 * never edited; a new document, numbered in the property's sequence, credits part or all of it
 * and names it.
 *
 * Input: property, the invoice number, a request id (the same id never issues two notes: a retry
 * returns the note already issued), the reason, and optionally the amount (minor units, positive;
 * default the invoice's whole total). Output: the credit note's number and published keys.
 * 0. Take the property's billing lease (`BILLING_LOCKED` while a draft, close or another note of
 *    the property runs).
 * 1. Find the invoice by number; it must be a closed invoice of the property.
 * 2. The amount may not exceed what is left of its total after earlier credit notes.
 * 3. Freeze the note (next number, one transaction, `credit#<tenant>#<request>` under the
 *    invoice's month) and publish its JSON and HTML beside the invoice.
 */

import {
  type ClosedBody,
  canonicalJson,
  creditNoteInvoice,
  documentNumber,
  sequenceOfNumber,
} from '../core/billing/close';
import { EkmPipelineError, logBestEffortFailure, ValidationError } from '../core/errors';
import type { BillingStore } from '../ports/billing-store';
import type { Clock } from '../ports/clock';
import type { ObjectStore } from '../ports/object-store';
import { publishDocument } from './close-billing-month';
import { BILLING_LEASE_TTL_MS, billingLeaseName } from './draft-billing-month';

export interface CreditNoteDeps {
  readonly store: BillingStore;
  readonly objects: ObjectStore;
  readonly clock: Clock;
  readonly template?: string;
  /** Lease owner (a run id); default a random one. */
  readonly owner?: string;
  readonly leaseTtlMs?: number;
}

export interface CreditNoteInput {
  readonly property: string;
  /** The closed invoice's number (`ELM-2026-03-0002`). */
  readonly invoiceNumber: string;
  /** Idempotency key of this correction (e.g. a support case or letter reference); `[A-Za-z0-9._-]`. */
  readonly requestId: string;
  readonly reason: string;
  /** Positive amount in minor units; default the whole remaining total. */
  readonly amountMinor?: number;
}

export interface CreditNoteResult {
  readonly number: string;
  readonly refersTo: string;
  readonly amountMinor: number;
  readonly created: boolean;
  readonly published: readonly string[];
}

export function makeCreditNote(deps: CreditNoteDeps) {
  const ttl = deps.leaseTtlMs ?? BILLING_LEASE_TTL_MS;
  return async (input: CreditNoteInput): Promise<CreditNoteResult> => {
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(input.requestId))
      throw new ValidationError(
        'requestId',
        `expected 1-100 of A-Z a-z 0-9 . _ -, got ${JSON.stringify(input.requestId)}`,
      );
    // Under the property's billing lease: two notes for one invoice cannot both pass the "what is
    // left" check, and a note never interleaves with a close of the same property.
    const owner = deps.owner ?? `credit-${deps.clock.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const lease = billingLeaseName(input.property);
    if (!(await deps.store.acquireLease(lease, owner, ttl, deps.clock.now()))) {
      const holder = await deps.store.getLease(lease);
      throw new EkmPipelineError(
        'BILLING_LOCKED',
        `another draft, close or credit note of property ${input.property} holds its lease (run ${holder?.owner}); nothing was issued: retry once it finishes`,
      );
    }
    try {
      return await issue(deps, input);
    } finally {
      await deps.store
        .releaseLease(lease, owner)
        .catch((error: unknown) => logBestEffortFailure(`release billing lease ${lease}`, error));
    }
  };
}

async function issue(deps: CreditNoteDeps, input: CreditNoteInput): Promise<CreditNoteResult> {
  const original = await deps.store.getBySeq(input.property, sequenceOfNumber(input.invoiceNumber));
  if (!original || original.number !== input.invoiceNumber || original.kind !== 'invoice')
    throw new ValidationError(
      'invoiceNumber',
      `no closed invoice ${input.invoiceNumber} of property ${input.property}; credit notes correct closed invoices only`,
    );
  const body = JSON.parse(original.body) as ClosedBody;
  const key = `credit#${original.key}#${input.requestId}`;
  const again = await deps.store.getClosed(input.property, original.month, key);
  let amount = 0;
  if (!again) {
    const earlier = (await deps.store.listClosed(input.property, original.month)).filter(
      (d) => d.kind === 'credit_note' && d.key.startsWith(`credit#${original.key}#`),
    );
    const left = original.totalMinor + earlier.reduce((s, d) => s + d.totalMinor, 0);
    amount = input.amountMinor ?? left;
    if (!Number.isInteger(amount) || amount <= 0 || amount > left)
      throw new ValidationError(
        'amountMinor',
        `expected a whole number of minor units between 1 and ${left} (what is left of invoice ${original.number} after earlier credit notes), got ${amount}`,
      );
  }
  const issueMonth = new Date(deps.clock.now()).toISOString().slice(0, 7);
  const { document, created } = await deps.store.freeze({
    property: input.property,
    month: original.month,
    key,
    kind: 'credit_note',
    closedAtMs: deps.clock.now(),
    build: (seq) => {
      const number = documentNumber(input.property, 'credit_note', issueMonth, seq);
      const note: ClosedBody = {
        number,
        kind: 'credit_note',
        invoice: { ...creditNoteInvoice(body.invoice, original.number, amount, input.reason), number },
        refersTo: original.number,
        reason: input.reason,
      };
      return { number, totalMinor: -amount, body: canonicalJson(note) };
    },
  });
  const published = await publishDocument(deps.objects, document, deps.template);
  return {
    number: document.number,
    refersTo: original.number,
    amountMinor: -document.totalMinor,
    created,
    published,
  };
}
