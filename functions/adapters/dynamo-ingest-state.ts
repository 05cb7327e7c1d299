import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { forEachLimit } from '../core/concurrency';
import { cursorPageOf } from '../core/ekm/cursor-pages';
import { EkmPipelineError } from '../core/errors';
import type { MeterId } from '../core/readings/meter-id';
import type { CursorDataset, GapRecord, IngestState, LeaseInfo, RunRecord } from '../ports/ingest-state';

/**
 * {@link IngestState} in the shared single-table state table (pk/sk, see dynamo-state-table.ts):
 * - cursor page: pk `CURSOR#{dataset}#{alias}`, sk `PAGE#{nn}` (core/ekm/cursor-pages.ts), `m` (map meter →
 *   lastMs N), `v` (N, version for optimistic writes), `runId`, `updatedAt`. One item holds the
 *   cursors of many meters (~30 bytes each, so a page holds over 10,000 within DynamoDB's 400 KB).
 * - cursor (earlier layout, read only): pk `CURSOR#{dataset}#{alias}`, sk `METER#{meter}`, `lastMs`
 *   (N): read for meters no page holds yet; the next advance moves them into their page.
 * - run:    pk `RUN#{alias}`, sk `{startedAt ISO}#{runId}`, `job`, `status`, `summary` (JSON), `expiresAt` (90 days)
 * - gap:    pk `GAP#{alias}`, sk `{meter}#{fromMs}`, `toMs`, `filledBuckets`, `runId`
 * - lock:   pk `LOCK#{name}`, sk `LOCK`, `owner`, `leaseUntil` (N, ms), `expiresAt`
 */
const RUN_TTL_S = 90 * 86_400;
/** Meters a cursor page may hold: ~30 bytes each stays well inside DynamoDB's 400 KB item limit. */
const MAX_METERS_PER_PAGE = 10_000;
const pageSk = (page: number) => `PAGE#${String(page).padStart(2, '0')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string }).name === 'ConditionalCheckFailedException';

export class DynamoIngestState implements IngestState {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly concurrency = 16,
  ) {}

  async getCursors(dataset: CursorDataset, alias: string, meters: readonly MeterId[]): Promise<Map<MeterId, number>> {
    const out = new Map<MeterId, number>();
    const pk = `CURSOR#${dataset}#${alias}`;
    const unique = [...new Set(meters)];
    const pages = await this.readPages(pk, new Set(unique.map(cursorPageOf)));
    const missing: MeterId[] = [];
    for (const meter of unique) {
      const last = pages.get(cursorPageOf(meter))?.cursors.get(meter);
      if (last !== undefined) out.set(meter, last);
      else missing.push(meter);
    }
    // Meters no page holds: a cursor kept in the earlier one-item-per-meter layout, if any.
    await forEachLimit(chunked(missing, 100), 4, async (chunk) => {
      const keys = chunk.map((m) => ({ pk: { S: pk }, sk: { S: `METER#${m}` } }));
      for (const item of await this.batchGet(keys)) {
        const meter = item.sk?.S?.slice('METER#'.length);
        const last = item.lastMs?.N;
        if (meter && last) out.set(meter, Number(last));
      }
    });
    return out;
  }

  async advanceCursors(
    dataset: CursorDataset,
    alias: string,
    cursors: ReadonlyMap<MeterId, number>,
    runId: string,
  ): Promise<void> {
    const pk = `CURSOR#${dataset}#${alias}`;
    const byPage = new Map<number, [MeterId, number][]>();
    for (const entry of cursors) {
      const page = cursorPageOf(entry[0]);
      const list = byPage.get(page);
      if (list) list.push(entry);
      else byPage.set(page, [entry]);
    }
    let wanted = new Set(byPage.keys());
    // Optimistic: read the pages, merge forward-only, write each only if nobody wrote it meanwhile;
    // a page another writer changed is read and merged again.
    for (let attempt = 0; wanted.size > 0; attempt++) {
      if (attempt >= 20) throw new Error(`cursor pages of "${alias}" kept changing under 20 attempts to write them`);
      if (attempt > 0) await sleep(Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random()));
      const pages = await this.readPages(pk, wanted);
      const retry = new Set<number>();
      await forEachLimit([...wanted], this.concurrency, async (page) => {
        const current = pages.get(page);
        const merged = new Map(current?.cursors ?? []);
        let changed = false;
        for (const [meter, lastMs] of byPage.get(page) ?? []) {
          if ((merged.get(meter) ?? Number.NEGATIVE_INFINITY) >= lastMs) continue; // forward only
          merged.set(meter, lastMs);
          changed = true;
        }
        if (!changed) return;
        // DynamoDB's 400 KB item limit: about 10,000 meters a page, 640,000 a key alias.
        if (merged.size > MAX_METERS_PER_PAGE)
          throw new EkmPipelineError(
            'CURSOR_PAGE_FULL',
            `cursor page ${page} of "${alias}" would hold ${merged.size} meters (at most ${MAX_METERS_PER_PAGE}); split the key's meters over more EKM keys`,
          );
        const m: Record<string, AttributeValue> = {};
        for (const [meter, lastMs] of merged) m[meter] = { N: String(lastMs) };
        try {
          await this.ddb.send(
            new PutItemCommand({
              TableName: this.table,
              Item: {
                pk: { S: pk },
                sk: { S: pageSk(page) },
                m: { M: m },
                v: { N: String((current?.version ?? 0) + 1) },
                runId: { S: runId },
                updatedAt: { S: new Date().toISOString() },
              },
              ...(current
                ? { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': { N: String(current.version) } } }
                : { ConditionExpression: 'attribute_not_exists(pk)' }),
            }),
          );
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          retry.add(page);
        }
      });
      wanted = retry;
    }
  }

  /** The pages asked for that exist, with their cursors and version (consistent reads). */
  private async readPages(
    pk: string,
    pages: ReadonlySet<number>,
  ): Promise<Map<number, { cursors: Map<MeterId, number>; version: number }>> {
    const out = new Map<number, { cursors: Map<MeterId, number>; version: number }>();
    const keys = [...pages].map((p) => ({ pk: { S: pk }, sk: { S: pageSk(p) } }));
    await forEachLimit(chunked(keys, 100), 4, async (chunk) => {
      for (const item of await this.batchGet(chunk)) {
        const page = Number(item.sk?.S?.slice('PAGE#'.length));
        const cursors = new Map<MeterId, number>();
        for (const [meter, value] of Object.entries(item.m?.M ?? {})) if (value.N) cursors.set(meter, Number(value.N));
        out.set(page, { cursors, version: Number(item.v?.N ?? '0') });
      }
    });
    return out;
  }

  /** BatchGetItem (consistent) of at most 100 keys, asking again for unprocessed keys with backoff. */
  private async batchGet(keys: Record<string, AttributeValue>[]): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let pending = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const res = await this.ddb.send(
        new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of res.Responses?.[this.table] ?? []) items.push(item);
      pending = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof pending;
      if (pending.length > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
    return items;
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: `RUN#${run.alias}` },
          sk: { S: `${new Date(run.startedAtMs).toISOString()}#${run.runId}` },
          runId: { S: run.runId },
          job: { S: run.job },
          alias: { S: run.alias },
          status: { S: run.status },
          startedAtMs: { N: String(run.startedAtMs) },
          ...(run.finishedAtMs !== undefined ? { finishedAtMs: { N: String(run.finishedAtMs) } } : {}),
          summary: { S: JSON.stringify(run.summary ?? {}) },
          expiresAt: { N: String(Math.floor(run.startedAtMs / 1000) + RUN_TTL_S) },
        },
      }),
    );
  }

  async failStaleRun(run: RunRecord, reason: string, nowMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: `RUN#${run.alias}` }, sk: { S: `${new Date(run.startedAtMs).toISOString()}#${run.runId}` } },
          UpdateExpression: 'SET #s = :failed, finishedAtMs = :t, summary = :summary',
          ConditionExpression: '#s = :running',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':failed': { S: 'failed' },
            ':running': { S: 'running' },
            ':t': { N: String(nowMs) },
            ':summary': { S: JSON.stringify({ ...(run.summary ?? {}), error: reason.slice(0, 500) }) },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async listRuns(alias: string, limit = 20): Promise<RunRecord[]> {
    const res = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `RUN#${alias}` } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (res.Items ?? []).map((i) => ({
      runId: i.runId?.S ?? '',
      job: (i.job?.S ?? 'ingest-realtime') as RunRecord['job'],
      alias,
      status: (i.status?.S ?? 'running') as RunRecord['status'],
      startedAtMs: Number(i.startedAtMs?.N ?? 0),
      ...(i.finishedAtMs?.N ? { finishedAtMs: Number(i.finishedAtMs.N) } : {}),
      summary: JSON.parse(i.summary?.S ?? '{}') as Record<string, number | string>,
    }));
  }

  async recordGap(gap: GapRecord): Promise<void> {
    await this.ddb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          pk: { S: `GAP#${gap.alias}` },
          sk: { S: `${gap.meter}#${gap.fromMs}` },
          meter: { S: gap.meter },
          fromMs: { N: String(gap.fromMs) },
          toMs: { N: String(gap.toMs) },
          filledBuckets: { N: String(gap.filledBuckets) },
          runId: { S: gap.runId },
        },
      }),
    );
  }

  async listGaps(alias: string): Promise<GapRecord[]> {
    const out: GapRecord[] = [];
    let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const res = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `GAP#${alias}` } },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of res.Items ?? [])
        out.push({
          alias,
          meter: i.meter?.S ?? '',
          fromMs: Number(i.fromMs?.N),
          toMs: Number(i.toMs?.N),
          filledBuckets: Number(i.filledBuckets?.N ?? 0),
          runId: i.runId?.S ?? '',
        });
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async acquireLock(name: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `LOCK#${name}` },
            sk: { S: 'LOCK' },
            owner: { S: owner },
            leaseUntil: { N: String(nowMs + ttlMs) },
            expiresAt: { N: String(Math.ceil((nowMs + ttlMs) / 1000) + 3600) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now OR #o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':owner': { S: owner } },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getLock(name: string): Promise<LeaseInfo | undefined> {
    const res = await this.ddb.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: { S: `LOCK#${name}` }, sk: { S: 'LOCK' } },
        ConsistentRead: true,
      }),
    );
    const item = res.Item;
    if (!item?.owner?.S) return undefined;
    return { name, owner: item.owner.S, leaseUntilMs: Number(item.leaseUntil?.N ?? 0) };
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: `LOCK#${name}` }, sk: { S: 'LOCK' } },
          ConditionExpression: '#o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
