import {
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
import type { MeterId } from '../core/readings/meter-id';
import type { CursorDataset, GapRecord, IngestState, LeaseInfo, RunRecord } from '../ports/ingest-state';

/**
 * {@link IngestState} in the shared single-table state table (pk/sk, see dynamo-state-table.ts):
 * - cursor: pk `CURSOR#{dataset}#{alias}`, sk `METER#{meter}`, `lastMs` (N), `runId`, `updatedAt`
 * - run:    pk `RUN#{alias}`, sk `{startedAt ISO}#{runId}`, `job`, `status`, `summary` (JSON), `expiresAt` (90 days)
 * - gap:    pk `GAP#{alias}`, sk `{meter}#{fromMs}`, `toMs`, `filledBuckets`, `runId`
 * - lock:   pk `LOCK#{name}`, sk `LOCK`, `owner`, `leaseUntil` (N, ms), `expiresAt`
 */
const RUN_TTL_S = 90 * 86_400;
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
    const chunks: MeterId[][] = [];
    for (let i = 0; i < unique.length; i += 100) chunks.push(unique.slice(i, i + 100));
    await forEachLimit(chunks, 4, async (chunk) => {
      let keys = chunk.map((m) => ({ pk: { S: pk }, sk: { S: `METER#${m}` } }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        const res = await this.ddb.send(
          new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of res.Responses?.[this.table] ?? []) {
          const meter = item.sk?.S?.slice('METER#'.length);
          const last = item.lastMs?.N;
          if (meter && last) out.set(meter, Number(last));
        }
        keys = (res.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof keys;
        if (keys.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
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
    const now = new Date().toISOString();
    await forEachLimit([...cursors.entries()], this.concurrency, async ([meter, lastMs]) => {
      try {
        await this.ddb.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: { S: pk }, sk: { S: `METER#${meter}` } },
            UpdateExpression: 'SET lastMs = :t, runId = :r, updatedAt = :u',
            ConditionExpression: 'attribute_not_exists(lastMs) OR lastMs < :t',
            ExpressionAttributeValues: { ':t': { N: String(lastMs) }, ':r': { S: runId }, ':u': { S: now } },
          }),
        );
      } catch (error) {
        // Already at or past this point (a concurrent or later run): forward-only, nothing to do.
        if (!isConditionFailure(error)) throw error;
      }
    });
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
