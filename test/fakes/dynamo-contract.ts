import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';

/**
 * For a contract suite (one set of cases run on an in-memory fake and on its DynamoDB adapter): starts
 * DynamoDB Local for the file and gives each case a fresh state table, so cases never see each other.
 */
export function dynamoLocalForContract(tablePrefix: string): () => Promise<{ ddb: DynamoDBClient; table: string }> {
  let aws: LocalAws | undefined;
  let tables = 0;
  beforeAll(async () => {
    aws = await startLocalAws();
  }, 60_000);
  afterAll(async () => aws?.close());
  return async () => {
    if (!aws) throw new Error('DynamoDB Local is not running (call dynamoLocalForContract at the top of the file)');
    const ddb = dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint });
    const table = `${tablePrefix}-${++tables}`;
    await ensureStateTable(ddb, table);
    return { ddb, table };
  };
}
