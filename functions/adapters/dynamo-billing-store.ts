import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { contentHash, draftsDigest } from '../core/billing/close';
import { EkmPipelineError } from '../core/errors';
import type {
  BillingMonthRecord,
  BillingSnapshot,
  BillingStore,
  ClosedDocument,
  DraftRecord,
  FreezeRequest,
  MonthStatus,
  NumberEntry,
  TenantUsageRecord,
} from '../ports/billing-store';

/**
 * {@link BillingStore} in the shared single-table state table (pk/sk, dynamo-state-table.ts), its
 * own `pk` prefixes (docs/billing.md "Monthly close"):
 * - month:     pk `BILL#{property}#{month}`, sk `MONTH`: `status`, `draftsDigest`, `snapshotHash`, `invoices`, `published`, `closedAtMs`
 * - snapshot:  same pk, sk `SNAPSHOT` (`hash`, `parts`) and `SNAPSHOT#0001`… (`body` in ≤ 300 KB parts:
 *              a property of thousands of tenants is larger than one 400 KB item)
 * - draft:     same pk, sk `DRAFT#{tenant}`: `body`, `totalMinor`
 * - usage:     same pk, sk `USAGE#{tenant}`: `days` (JSON, one item per tenant and month, not per day)
 * - document:  same pk, sk `DOC#{key}`: `kind`, `seq`, `number`, `body`, `totalMinor`, `closedAtMs`
 * - sequence:  pk `BILLSEQ#{property}`, sk `SEQ`: `last` (N, the last number given)
 * - register:  same pk, sk `NO#{seq, 10 digits}`: `number`, `month`, `key`
 * - lease:     pk `LOCK#{name}`, sk `LOCK`: `owner`, `leaseUntil` (as dynamo-ingest-state.ts, without `expiresAt`)
 * Nothing billing-related carries `expiresAt`: closed documents are kept for good.
 */
const SNAPSHOT_PART_CHARS = 300_000;
const TRANSACT_CHUNK = 50;

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === 'ConditionalCheckFailedException';
const isCancelled = (e: unknown) =>
  ['TransactionCanceledException', 'TransactionConflictException'].includes((e as { name?: string }).name ?? '');

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const monthPk = (property: string, month: string) => `BILL#${property}#${month}`;
const seqPk = (property: string) => `BILLSEQ#${property}`;
const seqSk = (seq: number) => `NO#${String(seq).padStart(10, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closedError(property: string, month: string, status: string): EkmPipelineError {
  return new EkmPipelineError(
    'BILLING_MONTH_CLOSED',
    `${month} of property ${property} is ${status}: its drafts and snapshot can no longer change; correct it with a credit note or an adjustment next month`,
  );
}

function toDocument(property: string, month: string, i: Record<string, AttributeValue>): ClosedDocument {
  return {
    property,
    month,
    key: i.key?.S ?? '',
    kind: (i.kind?.S ?? 'invoice') as ClosedDocument['kind'],
    seq: Number(i.seq?.N),
    number: i.number?.S ?? '',
    totalMinor: Number(i.totalMinor?.N),
    body: i.body?.S ?? '',
    closedAtMs: Number(i.closedAtMs?.N),
  };
}

export class DynamoBillingStore implements BillingStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  private async get(pk: string, sk: string): Promise<Record<string, AttributeValue> | undefined> {
    const res = await this.ddb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: S(pk), sk: S(sk) }, ConsistentRead: true }),
    );
    return res.Item;
  }

  private async query(pk: string, prefix: string): Promise<Record<string, AttributeValue>[]> {
    const out: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': S(pk), ':p': S(prefix) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** The month must be open: a condition on the MONTH item inside a transaction. */
  private openCheck(property: string, month: string): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.table,
        Key: { pk: S(monthPk(property, month)), sk: S('MONTH') },
        ConditionExpression: 'attribute_not_exists(#s) OR #s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':open': S('open') },
      },
    };
  }

  private async transactOpen(property: string, month: string, items: TransactWriteItem[]): Promise<void> {
    try {
      await this.ddb.send(
        new TransactWriteItemsCommand({ TransactItems: [this.openCheck(property, month), ...items] }),
      );
    } catch (error) {
      if (isCancelled(error)) {
        const m = await this.getMonth(property, month);
        if (m && m.status !== 'open') throw closedError(property, month, m.status);
      }
      throw error;
    }
  }

  private async deleteKeys(pk: string, sks: readonly string[]): Promise<void> {
    for (let i = 0; i < sks.length; i += 25) {
      let requests = sks.slice(i, i + 25).map((sk) => ({ DeleteRequest: { Key: { pk: S(pk), sk: S(sk) } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const res = await this.ddb.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = (res.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        if (requests.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  async putSnapshot(snapshot: BillingSnapshot): Promise<void> {
    const pk = monthPk(snapshot.property, snapshot.month);
    const m = await this.getMonth(snapshot.property, snapshot.month);
    if (m && m.status !== 'open') throw closedError(snapshot.property, snapshot.month, m.status);
    const parts: string[] = [];
    for (let i = 0; i < snapshot.body.length; i += SNAPSHOT_PART_CHARS)
      parts.push(snapshot.body.slice(i, i + SNAPSHOT_PART_CHARS));
    const old = (await this.query(pk, 'SNAPSHOT#')).map((i) => i.sk?.S ?? '');
    // Parts first, the head (hash, count) last and only while the month is open; readers check the hash.
    for (const [k, part] of parts.entries())
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(pk), sk: S(`SNAPSHOT#${String(k + 1).padStart(4, '0')}`), body: S(part) },
        }),
      );
    await this.transactOpen(snapshot.property, snapshot.month, [
      {
        Put: {
          TableName: this.table,
          Item: { pk: S(pk), sk: S('SNAPSHOT'), hash: S(snapshot.hash), parts: N(parts.length) },
        },
      },
    ]);
    const keep = new Set(parts.map((_, k) => `SNAPSHOT#${String(k + 1).padStart(4, '0')}`));
    await this.deleteKeys(
      pk,
      old.filter((sk) => !keep.has(sk)),
    );
  }

  async getSnapshot(property: string, month: string): Promise<BillingSnapshot | undefined> {
    const pk = monthPk(property, month);
    const head = await this.get(pk, 'SNAPSHOT');
    if (!head?.hash?.S) return undefined;
    const count = Number(head.parts?.N ?? 0);
    const parts = (await this.query(pk, 'SNAPSHOT#')).slice(0, count);
    const body = parts.map((p) => p.body?.S ?? '').join('');
    if (contentHash(body) !== head.hash.S)
      throw new EkmPipelineError(
        'BILLING_SNAPSHOT_CORRUPT',
        `the billing snapshot of ${property} ${month} does not match its hash ${head.hash.S} (a draft run was interrupted while writing it); draft the month again`,
      );
    return { property, month, hash: head.hash.S, body };
  }

  async getMonth(property: string, month: string): Promise<BillingMonthRecord | undefined> {
    const i = await this.get(monthPk(property, month), 'MONTH');
    if (!i) return undefined;
    return {
      property,
      month,
      status: (i.status?.S ?? 'open') as MonthStatus,
      ...(i.draftsDigest?.S ? { draftsDigest: i.draftsDigest.S } : {}),
      ...(i.snapshotHash?.S ? { snapshotHash: i.snapshotHash.S } : {}),
      ...(i.invoices?.N ? { invoices: Number(i.invoices.N) } : {}),
      ...(i.published?.BOOL ? { published: true } : {}),
      ...(i.closedAtMs?.N ? { closedAtMs: Number(i.closedAtMs.N) } : {}),
    };
  }

  async replaceDrafts(
    property: string,
    month: string,
    drafts: readonly DraftRecord[],
    usage: readonly TenantUsageRecord[],
  ): Promise<void> {
    const pk = monthPk(property, month);
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(pk), sk: S('MONTH') },
          UpdateExpression: 'SET #s = if_not_exists(#s, :open) REMOVE draftsDigest',
          ConditionExpression: 'attribute_not_exists(#s) OR #s = :open',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':open': S('open') },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const m = await this.getMonth(property, month);
      throw closedError(property, month, m?.status ?? 'closing');
    }
    const existing = [...(await this.query(pk, 'DRAFT#')), ...(await this.query(pk, 'USAGE#'))].map(
      (i) => i.sk?.S ?? '',
    );
    const puts: TransactWriteItem[] = [
      ...drafts.map((d) => ({
        Put: {
          TableName: this.table,
          Item: {
            pk: S(pk),
            sk: S(`DRAFT#${d.tenant}`),
            tenant: S(d.tenant),
            totalMinor: N(d.totalMinor),
            body: S(d.body),
          },
        },
      })),
      ...usage.map((u) => ({
        Put: {
          TableName: this.table,
          Item: { pk: S(pk), sk: S(`USAGE#${u.tenant}`), tenant: S(u.tenant), days: S(JSON.stringify(u.days)) },
        },
      })),
    ];
    const keep = new Set([...drafts.map((d) => `DRAFT#${d.tenant}`), ...usage.map((u) => `USAGE#${u.tenant}`)]);
    const deletes: TransactWriteItem[] = existing
      .filter((sk) => !keep.has(sk))
      .map((sk) => ({ Delete: { TableName: this.table, Key: { pk: S(pk), sk: S(sk) } } }));
    const all = [...puts, ...deletes];
    for (let i = 0; i < all.length; i += TRANSACT_CHUNK)
      await this.transactOpen(property, month, all.slice(i, i + TRANSACT_CHUNK));
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(pk), sk: S('MONTH') },
          UpdateExpression: 'SET draftsDigest = :d',
          ConditionExpression: '#s = :open',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':open': S('open'), ':d': S(draftsDigest(drafts)) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const m = await this.getMonth(property, month);
      throw closedError(property, month, m?.status ?? 'closing');
    }
  }

  async listDrafts(property: string, month: string): Promise<DraftRecord[]> {
    return (await this.query(monthPk(property, month), 'DRAFT#')).map((i) => ({
      property,
      month,
      tenant: i.tenant?.S ?? '',
      totalMinor: Number(i.totalMinor?.N),
      body: i.body?.S ?? '',
    }));
  }

  async listUsage(property: string, month: string): Promise<TenantUsageRecord[]> {
    return (await this.query(monthPk(property, month), 'USAGE#')).map((i) => ({
      property,
      month,
      tenant: i.tenant?.S ?? '',
      days: JSON.parse(i.days?.S ?? '[]') as TenantUsageRecord['days'],
    }));
  }

  async beginClose(property: string, month: string, snapshotHash: string): Promise<BillingMonthRecord> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(monthPk(property, month)), sk: S('MONTH') },
          UpdateExpression: 'SET #s = :closing, snapshotHash = :h',
          ConditionExpression: 'attribute_not_exists(#s) OR #s = :open',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':open': S('open'), ':closing': S('closing'), ':h': S(snapshotHash) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const m = await this.getMonth(property, month);
    if (!m) throw new EkmPipelineError('BILLING_STATE', `the month record of ${property} ${month} vanished`);
    return m;
  }

  async freeze(request: FreezeRequest): Promise<{ document: ClosedDocument; created: boolean }> {
    const { property, month, key } = request;
    const pk = monthPk(property, month);
    for (let attempt = 0; ; attempt++) {
      const existing = await this.getClosed(property, month, key);
      if (existing) return { document: existing, created: false };
      const last = Number((await this.get(seqPk(property), 'SEQ'))?.last?.N ?? 0);
      const seq = last + 1;
      const built = request.build(seq);
      const counter: TransactWriteItem =
        last === 0
          ? {
              Put: {
                TableName: this.table,
                Item: { pk: S(seqPk(property)), sk: S('SEQ'), last: N(1) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            }
          : {
              Update: {
                TableName: this.table,
                Key: { pk: S(seqPk(property)), sk: S('SEQ') },
                UpdateExpression: 'SET #l = :n',
                ConditionExpression: '#l = :last',
                ExpressionAttributeNames: { '#l': 'last' },
                ExpressionAttributeValues: { ':n': N(seq), ':last': N(last) },
              },
            };
      try {
        await this.ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              counter,
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    pk: S(pk),
                    sk: S(`DOC#${key}`),
                    key: S(key),
                    kind: S(request.kind),
                    seq: N(seq),
                    number: S(built.number),
                    totalMinor: N(built.totalMinor),
                    body: S(built.body),
                    closedAtMs: N(request.closedAtMs),
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    pk: S(seqPk(property)),
                    sk: S(seqSk(seq)),
                    number: S(built.number),
                    month: S(month),
                    key: S(key),
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        const document: ClosedDocument = {
          property,
          month,
          key,
          kind: request.kind,
          seq,
          number: built.number,
          totalMinor: built.totalMinor,
          body: built.body,
          closedAtMs: request.closedAtMs,
        };
        return { document, created: true };
      } catch (error) {
        // Another writer took this number (or wrote this document) first: look again and retry.
        if (!isCancelled(error) || attempt >= 100) throw error;
        await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 5)) * Math.random());
      }
    }
  }

  async getClosed(property: string, month: string, key: string): Promise<ClosedDocument | undefined> {
    const i = await this.get(monthPk(property, month), `DOC#${key}`);
    return i ? toDocument(property, month, i) : undefined;
  }

  async listClosed(property: string, month: string): Promise<ClosedDocument[]> {
    return (await this.query(monthPk(property, month), 'DOC#'))
      .map((i) => toDocument(property, month, i))
      .sort((a, b) => a.seq - b.seq);
  }

  async getBySeq(property: string, seq: number): Promise<ClosedDocument | undefined> {
    const entry = await this.get(seqPk(property), seqSk(seq));
    if (!entry?.month?.S || !entry.key?.S) return undefined;
    return this.getClosed(property, entry.month.S, entry.key.S);
  }

  async listNumbers(property: string): Promise<NumberEntry[]> {
    return (await this.query(seqPk(property), 'NO#')).map((i) => ({
      seq: Number((i.sk?.S ?? '').slice(3)),
      number: i.number?.S ?? '',
      month: i.month?.S ?? '',
      key: i.key?.S ?? '',
    }));
  }

  async finishClose(property: string, month: string, invoices: number, closedAtMs: number): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(monthPk(property, month)), sk: S('MONTH') },
          UpdateExpression: 'SET #s = :closed, invoices = :n, closedAtMs = :t',
          ConditionExpression: '#s = :closing',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':closed': S('closed'),
            ':closing': S('closing'),
            ':n': N(invoices),
            ':t': N(closedAtMs),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const m = await this.getMonth(property, month);
      if (m?.status === 'closed') return;
      throw new EkmPipelineError('BILLING_NOT_CLOSING', `${month} of property ${property} is not being closed`);
    }
  }

  async markPublished(property: string, month: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(monthPk(property, month)), sk: S('MONTH') },
          UpdateExpression: 'SET published = :t',
          ConditionExpression: '#s = :closed',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':t': { BOOL: true }, ':closed': S('closed') },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new EkmPipelineError('BILLING_NOT_CLOSED', `${month} of property ${property} is not closed`);
    }
  }

  async acquireLease(name: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: S(`LOCK#${name}`),
            sk: S('LOCK'),
            owner: S(owner),
            leaseUntil: N(nowMs + ttlMs),
            // No `expiresAt`: TTL would judge the lease by the wall clock, not the clock it was taken
            // with; a lapsed lease item is harmless (the next acquire overwrites it).
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':now': N(nowMs), ':owner': S(owner) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getLease(name: string): Promise<{ owner: string; leaseUntilMs: number } | undefined> {
    const i = await this.get(`LOCK#${name}`, 'LOCK');
    if (!i?.owner?.S) return undefined;
    return { owner: i.owner.S, leaseUntilMs: Number(i.leaseUntil?.N ?? 0) };
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: S(`LOCK#${name}`), sk: S('LOCK') },
          ConditionExpression: '#o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':owner': S(owner) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
