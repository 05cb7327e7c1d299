import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { EdgeReceipt, EdgeReceipts } from '../ports/edge-receipts';

/** Receipts are kept this long (TTL): far longer than any collector retries a batch. */
const RECEIPT_TTL_DAYS = 400;

/**
 * Edge batch receipts in the shared state table: `pk = EDGE#<gateway>`, `sk = BATCH#<batchId>`,
 * written with `attribute_not_exists(pk)` so two concurrent deliveries of one batch record it once.
 */
export class DynamoEdgeReceipts implements EdgeReceipts {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(gateway: string, batchId: string): Promise<EdgeReceipt | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: { S: `EDGE#${gateway}` }, sk: { S: `BATCH#${batchId}` } },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item) return undefined;
    return {
      gateway,
      batchId,
      digest: item.digest?.S ?? '',
      readings: Number(item.readings?.N ?? 0),
      receivedAtMs: Number(item.receivedAtMs?.N ?? 0),
    };
  }

  async put(receipt: EdgeReceipt): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: `EDGE#${receipt.gateway}` },
            sk: { S: `BATCH#${receipt.batchId}` },
            digest: { S: receipt.digest },
            readings: { N: String(receipt.readings) },
            receivedAtMs: { N: String(receipt.receivedAtMs) },
            expiresAt: { N: String(Math.floor(receipt.receivedAtMs / 1000) + RECEIPT_TTL_DAYS * 86_400) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as { name?: string }).name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      throw error;
    }
  }
}
