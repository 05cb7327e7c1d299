import {
  DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoBillingStore } from '../../functions/adapters/dynamo-billing-store';

// The exact writes behind the numbering guarantees (docs/billing.md "Invoice numbers"); the
// behaviour itself is tested on DynamoDB Local in billing-store-contract.test.ts.
const ddb = mockClient(DynamoDBClient);
beforeEach(() => ddb.reset());

const request = {
  property: 'elm',
  month: '2026-03',
  key: 'a',
  kind: 'invoice' as const,
  closedAtMs: 5,
  build: (seq: number) => ({ number: `ELM-2026-03-${String(seq).padStart(4, '0')}`, totalMinor: 100, body: '{}' }),
};

describe('DynamoBillingStore writes', () => {
  it('numbers a document in one transaction: counter from its last value, document and register entry only if new', async () => {
    // Prepare: no closed document yet; the counter stands at 6
    ddb.on(GetItemCommand, { Key: { pk: { S: 'BILL#elm#2026-03' }, sk: { S: 'DOC#a' } } }).resolves({});
    ddb
      .on(GetItemCommand, { Key: { pk: { S: 'BILLSEQ#elm' }, sk: { S: 'SEQ' } } })
      .resolves({ Item: { last: { N: '6' } } });
    ddb.on(TransactWriteItemsCommand).resolves({});
    // Act
    const { document, created } = await new DynamoBillingStore(new DynamoDBClient({}), 'state').freeze(request);
    // Assess
    expect(created).toBe(true);
    expect(document).toMatchObject({ seq: 7, number: 'ELM-2026-03-0007' });
    const input = ddb.commandCalls(TransactWriteItemsCommand)[0]!.args[0].input;
    expect(input.TransactItems).toEqual([
      {
        Update: {
          TableName: 'state',
          Key: { pk: { S: 'BILLSEQ#elm' }, sk: { S: 'SEQ' } },
          UpdateExpression: 'SET #l = :n',
          ConditionExpression: '#l = :last',
          ExpressionAttributeNames: { '#l': 'last' },
          ExpressionAttributeValues: { ':n': { N: '7' }, ':last': { N: '6' } },
        },
      },
      {
        Put: {
          TableName: 'state',
          Item: {
            pk: { S: 'BILL#elm#2026-03' },
            sk: { S: 'DOC#a' },
            key: { S: 'a' },
            kind: { S: 'invoice' },
            seq: { N: '7' },
            number: { S: 'ELM-2026-03-0007' },
            totalMinor: { N: '100' },
            body: { S: '{}' },
            closedAtMs: { N: '5' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: 'state',
          Item: {
            pk: { S: 'BILLSEQ#elm' },
            sk: { S: 'NO#0000000007' },
            number: { S: 'ELM-2026-03-0007' },
            month: { S: '2026-03' },
            key: { S: 'a' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
  });

  it('returns the document another writer closed meanwhile instead of numbering it again', async () => {
    // Prepare: the transaction is cancelled (the document appeared); the second look finds it
    let looks = 0;
    ddb.on(GetItemCommand, { Key: { pk: { S: 'BILL#elm#2026-03' }, sk: { S: 'DOC#a' } } }).callsFake(() =>
      ++looks === 1
        ? {}
        : {
            Item: {
              key: { S: 'a' },
              kind: { S: 'invoice' },
              seq: { N: '3' },
              number: { S: 'ELM-2026-03-0003' },
              totalMinor: { N: '100' },
              body: { S: '{"first":true}' },
              closedAtMs: { N: '1' },
            },
          },
    );
    ddb.on(GetItemCommand, { Key: { pk: { S: 'BILLSEQ#elm' }, sk: { S: 'SEQ' } } }).resolves({});
    ddb
      .on(TransactWriteItemsCommand)
      .rejects(new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: [] }));
    // Act
    const r = await new DynamoBillingStore(new DynamoDBClient({}), 'state').freeze(request);
    // Assess
    expect(r).toMatchObject({ created: false, document: { seq: 3, body: '{"first":true}' } });
    expect(ddb.commandCalls(TransactWriteItemsCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteItemsCommand)[0]!.args[0].input.TransactItems?.[0]).toMatchObject({
      Put: {
        Item: { pk: { S: 'BILLSEQ#elm' }, sk: { S: 'SEQ' }, last: { N: '1' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  });
});
