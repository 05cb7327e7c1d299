import type { BillingDocumentKind } from '../core/billing/close';

/**
 * Durable state of the monthly close (docs/billing.md "Monthly close"): per property and month the
 * billing snapshot, usage per tenant and day, drafts, closed documents (invoices and credit notes),
 * the month's status; per property the gapless document number sequence; and the close lease.
 * DynamoDB in AWS and locally (`adapters/dynamo-billing-store.ts`), memory in tests
 * (`test/fakes/in-memory-billing-store.ts`); both pass `test/adapters/billing-store-contract.test.ts`.
 *
 * Every text body is stored and returned byte for byte (canonical JSON made by core/billing/close.ts).
 */

/** The billing snapshot of one property and month: what the drafts were priced from. */
export interface BillingSnapshot {
  readonly property: string;
  /** `YYYY-MM`. */
  readonly month: string;
  /** `sha256:<hex>` of `body`. */
  readonly hash: string;
  /** Canonical JSON of core `BillingSnapshotContent`. */
  readonly body: string;
}

export type MonthStatus = 'open' | 'closing' | 'closed';

export interface BillingMonthRecord {
  readonly property: string;
  readonly month: string;
  /** `open`: drafts may be replaced; `closing`: drafts frozen, numbering under way; `closed`: every draft frozen. */
  readonly status: MonthStatus;
  /** core `draftsDigest` of the drafts, set once a draft run has written all of them. */
  readonly draftsDigest?: string;
  /** Snapshot the month is closed from (set when closing starts). */
  readonly snapshotHash?: string;
  /** Closed invoices of the month (set when closed). */
  readonly invoices?: number;
  /** Every file of the month is in the object store. */
  readonly published?: boolean;
  readonly closedAtMs?: number;
}

/** One tenant's draft invoice for a month (canonical JSON of core `DraftBody`). */
export interface DraftRecord {
  readonly property: string;
  readonly month: string;
  readonly tenant: string;
  readonly totalMinor: number;
  readonly body: string;
}

/** Usage of one tenant for one month, per local day (one item per tenant and month). */
export interface TenantUsageRecord {
  readonly property: string;
  readonly month: string;
  readonly tenant: string;
  readonly days: readonly { readonly date: string; readonly kWh: number; readonly estimated: boolean }[];
}

/** A numbered, frozen document: never changed once written. */
export interface ClosedDocument {
  readonly property: string;
  /** The month it belongs to (a credit note: the credited invoice's month). */
  readonly month: string;
  /** Unique within the month: the tenant id for an invoice, `credit#<tenant>#<request>` for a credit note. */
  readonly key: string;
  readonly kind: BillingDocumentKind;
  /** Position in the property's gapless sequence, from 1. */
  readonly seq: number;
  readonly number: string;
  readonly totalMinor: number;
  /** Canonical JSON of core `ClosedBody`. */
  readonly body: string;
  readonly closedAtMs: number;
}

/** One entry of a property's number register, in sequence order. */
export interface NumberEntry {
  readonly seq: number;
  readonly number: string;
  readonly month: string;
  readonly key: string;
}

export interface FreezeRequest {
  readonly property: string;
  readonly month: string;
  readonly key: string;
  readonly kind: BillingDocumentKind;
  readonly closedAtMs: number;
  /** Make the document for the sequence number the store is about to give it (may be called more than once). */
  build(seq: number): { readonly number: string; readonly totalMinor: number; readonly body: string };
}

export interface BillingStore {
  /** Store the month's snapshot (replaces one of an open month). Throws `BILLING_MONTH_CLOSED` once closing. */
  putSnapshot(snapshot: BillingSnapshot): Promise<void>;
  getSnapshot(property: string, month: string): Promise<BillingSnapshot | undefined>;
  /** The month's record; undefined for a month never drafted (counts as open). */
  getMonth(property: string, month: string): Promise<BillingMonthRecord | undefined>;
  /**
   * Replace every draft and usage record of an open month with these (records of tenants not
   * given are deleted), then record their `draftsDigest` on the month (cleared first, so a run cut
   * short leaves none). Throws `BILLING_MONTH_CLOSED` when the month is closing or closed.
   */
  replaceDrafts(
    property: string,
    month: string,
    drafts: readonly DraftRecord[],
    usage: readonly TenantUsageRecord[],
  ): Promise<void>;
  /** Drafts of the month, by tenant id. */
  listDrafts(property: string, month: string): Promise<DraftRecord[]>;
  listUsage(property: string, month: string): Promise<TenantUsageRecord[]>;
  /**
   * Start closing: `open` (or absent) → `closing` with the snapshot hash. A month already closing
   * or closed is returned as it is (a re-run continues it).
   */
  beginClose(property: string, month: string, snapshotHash: string): Promise<BillingMonthRecord>;
  /**
   * Give a document the next number of its property and write it, together and at most once: the
   * number register entry, the sequence and the document are one conditional transaction. When the
   * document already exists (a re-run after a crash) it is returned unchanged with `created: false`,
   * keeping the number it was given.
   */
  freeze(request: FreezeRequest): Promise<{ readonly document: ClosedDocument; readonly created: boolean }>;
  getClosed(property: string, month: string, key: string): Promise<ClosedDocument | undefined>;
  /** Closed documents of the month, by sequence. */
  listClosed(property: string, month: string): Promise<ClosedDocument[]>;
  /** The document holding a sequence number of the property. */
  getBySeq(property: string, seq: number): Promise<ClosedDocument | undefined>;
  /** The property's number register, by sequence (audits: 1..n with no gap). */
  listNumbers(property: string): Promise<NumberEntry[]>;
  /** `closing` → `closed` with the count of invoices (idempotent). */
  finishClose(property: string, month: string, invoices: number, closedAtMs: number): Promise<void>;
  /** Record that every file of a closed month is published (idempotent). */
  markPublished(property: string, month: string): Promise<void>;
  /** Take or renew (same owner) a lease; false while another owner holds an unexpired one. */
  acquireLease(name: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Who holds a lease and until when (UTC ms), or undefined. */
  getLease(name: string): Promise<{ readonly owner: string; readonly leaseUntilMs: number } | undefined>;
  releaseLease(name: string, owner: string): Promise<void>;
}
