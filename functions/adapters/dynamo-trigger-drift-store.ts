import { BatchWriteItemCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EkmPipelineError } from '../core/errors';
import type { DriftRecord, TriggerDriftStore } from '../ports/trigger-drift-store';
import { STATE_TABLE_KEYS } from './dynamo-state-table';

/** History entries expire after this many days (TTL on `expiresAt`); the LATEST item never does. */
const HISTORY_DAYS = 30;

/**
 * Trigger drift in the shared state table (single-table design; trigger sync owns the `DRIFT#`
 * prefix): `pk = DRIFT#<gateway mac>`, `sk = LATEST` (replaced by every check) and
 * `sk = CHECK#<ISO time>` (history, expiring after 30 days). The record is stored as a JSON
 * string in `record` plus a few top-level attributes for queries (`drift`, `remaining`, `checkedAt`).
 */
export class DynamoTriggerDriftStore implements TriggerDriftStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async record(records: readonly DriftRecord[]): Promise<void> {
    const items = records.flatMap((r) => {
      const base = {
        [STATE_TABLE_KEYS.partitionKey]: { S: `DRIFT#${r.gateway}` },
        gateway: { S: r.gateway },
        checkedAt: { S: new Date(r.checkedAtMs).toISOString() },
        drift: { N: String(r.drift) },
        remaining: { N: String(r.remaining) },
        keyAlias: { S: r.keyAlias },
        record: { S: JSON.stringify(r) },
      };
      return [
        { ...base, [STATE_TABLE_KEYS.sortKey]: { S: 'LATEST' } },
        {
          ...base,
          [STATE_TABLE_KEYS.sortKey]: { S: `CHECK#${new Date(r.checkedAtMs).toISOString()}` },
          [STATE_TABLE_KEYS.ttlAttribute]: { N: String(Math.floor(r.checkedAtMs / 1000) + HISTORY_DAYS * 86_400) },
        },
      ];
    });
    for (let i = 0; i < items.length; i += 25) {
      let pending = { [this.table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
      // BatchWriteItem may hand back unprocessed items under load; resend them until none are left.
      for (let attempt = 0; ; attempt++) {
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: pending }));
        const left = out.UnprocessedItems?.[this.table];
        if (!left || left.length === 0) break;
        if (attempt >= 7)
          throw new EkmPipelineError(
            'DRIFT_STORE',
            `DynamoDB left ${left.length} drift item(s) unprocessed after 8 attempts`,
          );
        pending = { [this.table]: left as (typeof pending)[string] };
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  async latest(gateway: string): Promise<DriftRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: {
          [STATE_TABLE_KEYS.partitionKey]: { S: `DRIFT#${gateway}` },
          [STATE_TABLE_KEYS.sortKey]: { S: 'LATEST' },
        },
        ConsistentRead: true,
      }),
    );
    const text = out.Item?.record?.S;
    return text ? (JSON.parse(text) as DriftRecord) : undefined;
  }
}
