import { draftsDigest } from '../../functions/core/billing/close';
import { EkmPipelineError } from '../../functions/core/errors';
import type {
  BillingMonthRecord,
  BillingSnapshot,
  BillingStore,
  ClosedDocument,
  DraftRecord,
  FreezeRequest,
  NumberEntry,
  TenantUsageRecord,
} from '../../functions/ports/billing-store';

const monthKey = (property: string, month: string) => `${property}\u0000${month}`;
const closedError = (property: string, month: string, status: string) =>
  new EkmPipelineError(
    'BILLING_MONTH_CLOSED',
    `${month} of property ${property} is ${status}: its drafts and snapshot can no longer change; correct it with a credit note or an adjustment next month`,
  );

/** {@link BillingStore} in memory, with the same rules as DynamoBillingStore (the contract suite runs both). */
export class InMemoryBillingStore implements BillingStore {
  readonly snapshots = new Map<string, BillingSnapshot>();
  readonly months = new Map<string, BillingMonthRecord>();
  readonly drafts = new Map<string, Map<string, DraftRecord>>();
  readonly usage = new Map<string, Map<string, TenantUsageRecord>>();
  readonly closed = new Map<string, Map<string, ClosedDocument>>();
  readonly sequences = new Map<string, number>();
  readonly numbers = new Map<string, Map<number, ClosedDocument>>();
  readonly leases = new Map<string, { owner: string; leaseUntilMs: number }>();

  private assertOpen(property: string, month: string): void {
    const m = this.months.get(monthKey(property, month));
    if (m && m.status !== 'open') throw closedError(property, month, m.status);
  }

  async putSnapshot(snapshot: BillingSnapshot): Promise<void> {
    this.assertOpen(snapshot.property, snapshot.month);
    this.snapshots.set(monthKey(snapshot.property, snapshot.month), { ...snapshot });
  }
  async getSnapshot(property: string, month: string): Promise<BillingSnapshot | undefined> {
    return this.snapshots.get(monthKey(property, month));
  }
  async getMonth(property: string, month: string): Promise<BillingMonthRecord | undefined> {
    return this.months.get(monthKey(property, month));
  }
  async replaceDrafts(
    property: string,
    month: string,
    drafts: readonly DraftRecord[],
    usage: readonly TenantUsageRecord[],
  ): Promise<void> {
    this.assertOpen(property, month);
    const k = monthKey(property, month);
    this.drafts.set(k, new Map(drafts.map((d) => [d.tenant, { ...d }])));
    this.usage.set(k, new Map(usage.map((u) => [u.tenant, { ...u, days: u.days.map((d) => ({ ...d })) }])));
    this.months.set(k, {
      ...(this.months.get(k) ?? { property, month, status: 'open' }),
      draftsDigest: draftsDigest(drafts),
    });
  }
  async listDrafts(property: string, month: string): Promise<DraftRecord[]> {
    return [...(this.drafts.get(monthKey(property, month))?.values() ?? [])].sort((a, b) =>
      a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0,
    );
  }
  async listUsage(property: string, month: string): Promise<TenantUsageRecord[]> {
    return [...(this.usage.get(monthKey(property, month))?.values() ?? [])].sort((a, b) =>
      a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0,
    );
  }
  async beginClose(property: string, month: string, snapshotHash: string): Promise<BillingMonthRecord> {
    const k = monthKey(property, month);
    const m = this.months.get(k);
    if (m && m.status !== 'open') return m;
    const next: BillingMonthRecord = { property, month, status: 'closing', snapshotHash };
    this.months.set(k, next);
    return next;
  }
  async freeze(request: FreezeRequest): Promise<{ document: ClosedDocument; created: boolean }> {
    const k = monthKey(request.property, request.month);
    const existing = this.closed.get(k)?.get(request.key);
    if (existing) return { document: existing, created: false };
    const seq = (this.sequences.get(request.property) ?? 0) + 1;
    const built = request.build(seq);
    const document: ClosedDocument = {
      property: request.property,
      month: request.month,
      key: request.key,
      kind: request.kind,
      seq,
      number: built.number,
      totalMinor: built.totalMinor,
      body: built.body,
      closedAtMs: request.closedAtMs,
    };
    this.sequences.set(request.property, seq);
    if (!this.closed.has(k)) this.closed.set(k, new Map());
    this.closed.get(k)!.set(request.key, document);
    if (!this.numbers.has(request.property)) this.numbers.set(request.property, new Map());
    this.numbers.get(request.property)!.set(seq, document);
    return { document, created: true };
  }
  async getClosed(property: string, month: string, key: string): Promise<ClosedDocument | undefined> {
    return this.closed.get(monthKey(property, month))?.get(key);
  }
  async listClosed(property: string, month: string): Promise<ClosedDocument[]> {
    return [...(this.closed.get(monthKey(property, month))?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }
  async getBySeq(property: string, seq: number): Promise<ClosedDocument | undefined> {
    return this.numbers.get(property)?.get(seq);
  }
  async listNumbers(property: string): Promise<NumberEntry[]> {
    return [...(this.numbers.get(property)?.values() ?? [])]
      .sort((a, b) => a.seq - b.seq)
      .map((d) => ({ seq: d.seq, number: d.number, month: d.month, key: d.key }));
  }
  async finishClose(property: string, month: string, invoices: number, closedAtMs: number): Promise<void> {
    const k = monthKey(property, month);
    const m = this.months.get(k);
    if (!m || m.status === 'open')
      throw new EkmPipelineError('BILLING_NOT_CLOSING', `${month} of property ${property} is not being closed`);
    if (m.status === 'closed') return;
    this.months.set(k, { ...m, status: 'closed', invoices, closedAtMs });
  }
  async markPublished(property: string, month: string): Promise<void> {
    const k = monthKey(property, month);
    const m = this.months.get(k);
    if (m?.status !== 'closed')
      throw new EkmPipelineError('BILLING_NOT_CLOSED', `${month} of property ${property} is not closed`);
    this.months.set(k, { ...m, published: true });
  }
  async acquireLease(name: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    const held = this.leases.get(name);
    if (held && held.owner !== owner && held.leaseUntilMs >= nowMs) return false;
    this.leases.set(name, { owner, leaseUntilMs: nowMs + ttlMs });
    return true;
  }
  async getLease(name: string): Promise<{ owner: string; leaseUntilMs: number } | undefined> {
    return this.leases.get(name);
  }
  async releaseLease(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }
}
