import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * The ONE state table every capability shares (single-table design, see README "Data lake"):
 * partition key `pk` (S), sort key `sk` (S), on-demand billing, TTL on `expiresAt` (epoch seconds).
 * Each capability owns a `pk` prefix: `CURSOR#`, `RUN#`, `GAP#`, `LOCK#` (lake ingest), `DRIFT#`
 * (trigger sync), `EDGE#` (edge batch receipts).
 */
export const STATE_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' } as const;

/** A DynamoDB client for a config `state` section (DynamoDB Local when an endpoint is given). */
export function dynamoClientFromConfig(state: { endpoint?: string; region?: string }): DynamoDBClient {
  const config: DynamoDBClientConfig = { region: state.region ?? process.env.AWS_REGION ?? 'us-east-1' };
  if (state.endpoint) {
    config.endpoint = state.endpoint;
    // DynamoDB Local runs with -sharedDb and accepts any credentials.
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return new DynamoDBClient(config);
}

/**
 * Create the state table if it does not exist and wait until it is ACTIVE. Idempotent; safe to
 * call concurrently from several tests or stages. In AWS the CDK stack creates the table instead.
 */
export async function ensureStateTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: STATE_TABLE_KEYS.partitionKey, AttributeType: 'S' },
          { AttributeName: STATE_TABLE_KEYS.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: STATE_TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException')
      throw error;
  }
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: STATE_TABLE_KEYS.ttlAttribute, Enabled: true },
      }),
    );
  } catch {
    // TTL already enabled (a second call fails with ValidationException): nothing to do.
  }
}
