/**
 * Draft a month (docs/billing.md "Monthly close"): price it and replace the drafts of every
 * property whose month is still open.
 *
 * Input: the month and optionally one property. Output: per property the drafts written, or why
 * none were (billing errors, month already closed).
 * 1. Price the month with `makeBillMonth` (bill-month.ts), recording the billing file, every URDB
 *    record read and every reading returned.
 * 2. Per property billed, under the property's billing lease (`bill-close#<property>`, shared with
 *    the close so a draft never lands in a month being closed):
 *    a. a month already closing or closed is left alone (`closed`);
 *    b. the snapshot (the property's part of the billing file and its URDB records, hashed);
 *    c. late data: when the previous month is closed, it is re-priced from its own snapshot with
 *       today's readings; a tenant whose total changed gets an `adjustment` line with the
 *       difference and its provenance (month, invoice number, old and new totals);
 *    d. drafts (invoice + provenance: meters, reads in the period, plan version, snapshot hash) and
 *       usage per tenant per day, stored as canonical JSON: identical input, identical bytes.
 */

import type { BillingFile } from '../core/billing/billing-file';
import { buildPeriodGrid } from '../core/billing/calendar';
import {
  type AdjustmentProvenance,
  adjustmentLine,
  type BillingSnapshotContent,
  billingFileOfSnapshot,
  type ClosedBody,
  canonicalJson,
  type DraftBody,
  type InvoiceProvenance,
  previousMonth,
  snapshotText,
  withLines,
} from '../core/billing/close';
import type { Invoice, MeterReadList, PeriodGrid } from '../core/billing/model';
import type { ReadingsByMeter } from '../core/billing/readings-csv';
import { readsWithin } from '../core/billing/usage';
import { EkmPipelineError, logBestEffortFailure } from '../core/errors';
import { type LeaseName, leaseName } from '../core/leases';
import type { MeterId } from '../core/readings/meter-id';
import type { BillingFileSource, ReadingsSource } from '../ports/billing-sources';
import type { BillingStore, DraftRecord, TenantUsageRecord } from '../ports/billing-store';
import type { Clock } from '../ports/clock';
import { makeBillMonth } from './bill-month';

/** Lease length of a draft or close of one property; renewed before every write. */
export const BILLING_LEASE_TTL_MS = 60_000;

/** The lease name of a property's draft and close. */
export const billingLeaseName = (property: string): LeaseName => leaseName('bill-close', property);

export interface DraftBillingMonthDeps {
  readonly billing: BillingFileSource;
  readonly readings: ReadingsSource;
  readonly store: BillingStore;
  readonly clock: Clock;
  /** Lease owner (a run id); default a random one. */
  readonly owner?: string;
  readonly leaseTtlMs?: number;
}

export interface DraftBillingMonthInput {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly property?: string;
}

export interface DraftPropertyOutcome {
  readonly property: string;
  readonly status: 'drafted' | 'closed' | 'failed';
  readonly error?: string;
  readonly drafts: number;
  readonly snapshotHash?: string;
  /** Tenants whose draft carries an adjustment for the previous month. */
  readonly adjustments: readonly (AdjustmentProvenance & { readonly tenant: string })[];
  /**
   * Tenants of the previous closed month whose total changed but who have no invoice this month
   * (moved out): correct them with a credit note.
   */
  readonly unplacedAdjustments: readonly (AdjustmentProvenance & { readonly tenant: string })[];
  /**
   * The late-data check of the previous month: `not-closed` (nothing to check), `checked`, or
   * `not-repriced` with why (its readings no longer cover it: no adjustment could be made).
   */
  readonly previousMonth?: {
    readonly month: string;
    readonly check: 'not-closed' | 'checked' | 'not-repriced';
    readonly error?: string;
  };
}

export interface DraftBillingMonthResult {
  readonly month: string;
  readonly properties: readonly DraftPropertyOutcome[];
  readonly ok: boolean;
}

/** Sources that remember what they returned (the snapshot and the provenance are made from it). */
function recording(deps: DraftBillingMonthDeps) {
  let loaded: BillingFile | undefined;
  const urdb = new Map<string, unknown>();
  const reads = new Map<MeterId, MeterReadList>();
  const billing: BillingFileSource = {
    file: deps.billing.file,
    load: async () => {
      loaded = await deps.billing.load();
      return loaded;
    },
    urdbRecord: async (path, pointer) => {
      const record = await deps.billing.urdbRecord(path, pointer);
      urdb.set(path, record);
      return record;
    },
  };
  const readings: ReadingsSource = {
    description: deps.readings.description,
    readings: async (meters, fromMs, toMs) => {
      const got = await deps.readings.readings(meters, fromMs, toMs);
      for (const [m, r] of got) reads.set(m, r);
      return got;
    },
  };
  return { billing, readings, urdb, reads, loaded: () => loaded };
}

/** Reads of an invoice's meters inside its period (UTC). */
function readingWindow(
  invoice: Invoice,
  reads: ReadingsByMeter,
  grids: Map<string, PeriodGrid>,
): InvoiceProvenance['readings'] {
  const gk = `${invoice.timezone}|${invoice.period.start}|${invoice.period.end}`;
  let grid = grids.get(gk);
  if (!grid) {
    grid = buildPeriodGrid(invoice.timezone, invoice.period.start, invoice.period.end);
    grids.set(gk, grid);
  }
  let count = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  for (const m of invoice.meters) {
    const list = reads.get(m as MeterId);
    if (!list) continue;
    const w = readsWithin(list, grid.startMs, grid.endMs);
    count += w.count;
    if (w.firstMs < firstMs) firstMs = w.firstMs;
    if (w.lastMs > lastMs) lastMs = w.lastMs;
  }
  return count === 0 ? { count } : { count, firstMs, lastMs };
}

/** The month's closed invoices re-priced from their snapshot with today's readings: changed totals. */
async function lateAdjustments(
  deps: DraftBillingMonthDeps,
  property: string,
  month: string,
): Promise<{ out: Map<string, AdjustmentProvenance>; check: NonNullable<DraftPropertyOutcome['previousMonth']> }> {
  const out = new Map<string, AdjustmentProvenance>();
  const prev = previousMonth(month);
  const status = await deps.store.getMonth(property, prev);
  if (status?.status !== 'closed') return { out, check: { month: prev, check: 'not-closed' } };
  const snapshot = await deps.store.getSnapshot(property, prev);
  if (!snapshot) return { out, check: { month: prev, check: 'not-repriced', error: 'no snapshot stored' } };
  const content = JSON.parse(snapshot.body) as BillingSnapshotContent;
  const repriced = await makeBillMonth({
    billing: {
      file: content.file,
      load: async () => billingFileOfSnapshot(content),
      urdbRecord: async (path) => {
        if (!(path in content.urdb))
          throw new EkmPipelineError(
            'BILLING_SNAPSHOT',
            `the snapshot of ${property} ${prev} lacks URDB record ${path}`,
          );
        return content.urdb[path];
      },
    },
    readings: deps.readings,
  })({ month: prev, property });
  // The closed month cannot be re-priced now (readings gone): no adjustment, and the caller says so.
  if (!repriced.ok)
    return {
      out,
      check: { month: prev, check: 'not-repriced', error: repriced.properties[0]?.error ?? 'not billed' },
    };
  const newTotals = new Map(repriced.invoices.map((i) => [i.tenant, i.totalMinor]));
  for (const doc of await deps.store.listClosed(property, prev)) {
    if (doc.kind !== 'invoice') continue;
    const body = JSON.parse(doc.body) as ClosedBody;
    const tenant = body.invoice.tenant;
    const now = newTotals.get(tenant);
    // Compare with what was billed: the closed total less any adjustment it already carried.
    const carried = body.invoice.lines.filter((l) => l.kind === 'adjustment').reduce((s, l) => s + l.amountMinor, 0);
    const old = doc.totalMinor - carried;
    if (now === undefined || now === old) continue;
    out.set(tenant, { month: prev, invoiceNumber: doc.number, oldTotalMinor: old, newTotalMinor: now });
  }
  return { out, check: { month: prev, check: 'checked' } };
}

export function makeDraftBillingMonth(deps: DraftBillingMonthDeps) {
  const ttl = deps.leaseTtlMs ?? BILLING_LEASE_TTL_MS;
  return async (input: DraftBillingMonthInput): Promise<DraftBillingMonthResult> => {
    const owner = deps.owner ?? `draft-${deps.clock.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const rec = recording(deps);
    const billed = await makeBillMonth({ billing: rec.billing, readings: rec.readings })({
      month: input.month,
      ...(input.property !== undefined ? { property: input.property } : {}),
    });
    const file = rec.loaded();
    const grids = new Map<string, PeriodGrid>();
    const outcomes: DraftPropertyOutcome[] = [];
    for (const p of billed.properties) {
      const none = { property: p.property, drafts: 0, adjustments: [], unplacedAdjustments: [] };
      if (!p.ok || !file) {
        outcomes.push({ ...none, status: 'failed', ...(p.error !== undefined ? { error: p.error } : {}) });
        continue;
      }
      const lease = billingLeaseName(p.property);
      if (!(await deps.store.acquireLease(lease, owner, ttl, deps.clock.now()))) {
        const holder = await deps.store.getLease(lease);
        outcomes.push({
          ...none,
          status: 'failed',
          error: `BILLING_LOCKED: another draft or close of property ${p.property} holds its lease (run ${holder?.owner}, until ${holder ? new Date(holder.leaseUntilMs).toISOString() : '?'}); retry once it finishes (a dead run's lease lapses within ${Math.ceil(ttl / 1000)} s)`,
        });
        continue;
      }
      try {
        const month = await deps.store.getMonth(p.property, input.month);
        if (month && month.status !== 'open') {
          outcomes.push({ ...none, status: 'closed' });
          continue;
        }
        const property = file.properties.find((x) => x.id === p.property)!;
        const urdbPaths = new Set(
          property.plans.flatMap((plan) => plan.versions.flatMap((v) => (v.urdb !== undefined ? [v.urdb] : []))),
        );
        const urdb: Record<string, unknown> = {};
        for (const path of [...urdbPaths].sort()) if (rec.urdb.has(path)) urdb[path] = rec.urdb.get(path);
        const snap = snapshotText({ file: file.file, currency: file.currency, property, urdb });
        const late = await lateAdjustments(deps, p.property, input.month);
        const adjustments = late.out;

        const drafts: DraftRecord[] = [];
        const usage: TenantUsageRecord[] = [];
        const placed: DraftPropertyOutcome['adjustments'][number][] = [];
        for (const inv of billed.invoices.filter((i) => i.property === p.property)) {
          const adj = adjustments.get(inv.tenant);
          const invoice = adj ? withLines(inv, [adjustmentLine(adj, inv.currency)]) : inv;
          if (adj) placed.push({ tenant: inv.tenant, ...adj });
          const provenance: InvoiceProvenance = {
            meters: [...inv.meters],
            readings: readingWindow(inv, rec.reads, grids),
            plan: { id: inv.plan.id, versionFrom: inv.plan.versionFrom },
            snapshotHash: snap.hash,
            ...(adj ? { adjustments: [adj] } : {}),
          };
          const body: DraftBody = { invoice, provenance };
          drafts.push({
            property: p.property,
            month: input.month,
            tenant: inv.tenant,
            totalMinor: invoice.totalMinor,
            body: canonicalJson(body),
          });
          usage.push({ property: p.property, month: input.month, tenant: inv.tenant, days: inv.dailyKWh });
        }
        if (!(await deps.store.acquireLease(lease, owner, ttl, deps.clock.now())))
          throw new EkmPipelineError(
            'LEASE_LOST',
            `the draft of ${p.property} lost its lease; nothing was written, re-run it`,
          );
        await deps.store.putSnapshot({ property: p.property, month: input.month, hash: snap.hash, body: snap.body });
        await deps.store.replaceDrafts(p.property, input.month, drafts, usage);
        const unplaced = [...adjustments.entries()]
          .filter(([t]) => !placed.some((x) => x.tenant === t))
          .map(([tenant, a]) => ({ tenant, ...a }));
        outcomes.push({
          property: p.property,
          status: 'drafted',
          drafts: drafts.length,
          snapshotHash: snap.hash,
          adjustments: placed,
          unplacedAdjustments: unplaced,
          previousMonth: late.check,
        });
      } finally {
        await deps.store
          .releaseLease(lease, owner)
          .catch((error: unknown) => logBestEffortFailure(`release billing lease ${lease}`, error));
      }
    }
    return { month: input.month, properties: outcomes, ok: outcomes.every((o) => o.status !== 'failed') };
  };
}
