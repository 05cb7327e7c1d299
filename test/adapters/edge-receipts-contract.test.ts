import { DynamoEdgeReceipts } from '../../functions/adapters/dynamo-edge-receipts';
import type { EdgeReceipt, EdgeReceipts } from '../../functions/ports/edge-receipts';
import { dynamoLocalForContract } from '../fakes/dynamo-contract';
import { InMemoryEdgeReceipts } from '../fakes/in-memory-edge-receipts';

// One contract, two implementations (ports/edge-receipts.ts): the fake used by fast tests must keep
// the same rules as the DynamoDB receipts the product runs on.
const freshTable = dynamoLocalForContract('edge-contract');
const implementations: [string, () => Promise<EdgeReceipts>][] = [
  ['in memory', async () => new InMemoryEdgeReceipts()],
  [
    'DynamoDB Local',
    async () => {
      const { ddb, table } = await freshTable();
      return new DynamoEdgeReceipts(ddb, table);
    },
  ],
];

const receipt = (gateway: string, batchId: string, digest = 'd1', readings = 3): EdgeReceipt => ({
  gateway,
  batchId,
  digest,
  readings,
  // Recent: receipts carry a TTL from this time, which DynamoDB Local's sweeper enforces.
  receivedAtMs: Math.floor(Date.now() / 86_400_000) * 86_400_000 + 12 * 3_600_000,
});

describe.each(implementations)('edge receipts contract: %s', (_name, make) => {
  let receipts: EdgeReceipts;
  beforeEach(async () => {
    receipts = await make();
  });

  it('returns undefined for a batch never received', async () => {
    expect(await receipts.get('gw-1', 'b-1')).toBeUndefined();
  });

  it('records a receipt once and returns it as stored', async () => {
    expect(await receipts.put(receipt('gw-1', 'b-1'))).toBe(true);
    expect(await receipts.get('gw-1', 'b-1')).toEqual(receipt('gw-1', 'b-1'));
  });

  it('keeps the first receipt of a batch id: a re-sent batch, even with other content, changes nothing', async () => {
    await receipts.put(receipt('gw-1', 'b-1', 'd1', 3));
    expect(await receipts.put(receipt('gw-1', 'b-1', 'd2', 9))).toBe(false);
    expect(await receipts.get('gw-1', 'b-1')).toEqual(receipt('gw-1', 'b-1', 'd1', 3));
  });

  it('keeps batch ids apart per gateway', async () => {
    expect(await receipts.put(receipt('gw-1', 'b-1', 'd1'))).toBe(true);
    expect(await receipts.put(receipt('gw-2', 'b-1', 'd2'))).toBe(true);
    expect(await receipts.put(receipt('gw-1', 'b-2', 'd3'))).toBe(true);
    expect((await receipts.get('gw-2', 'b-1'))?.digest).toBe('d2');
    expect((await receipts.get('gw-1', 'b-2'))?.digest).toBe('d3');
    expect(await receipts.get('gw-2', 'b-2')).toBeUndefined();
  });

  it('records one of many concurrent deliveries of one batch', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => receipts.put(receipt('gw-1', 'b-race', `d${i}`))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await receipts.get('gw-1', 'b-race'))?.digest).toBe(`d${results.indexOf(true)}`);
  });

  it('keeps a receipt of an empty batch', async () => {
    expect(await receipts.put(receipt('gw-1', 'empty', 'e3b0', 0))).toBe(true);
    expect(await receipts.get('gw-1', 'empty')).toEqual(receipt('gw-1', 'empty', 'e3b0', 0));
  });
});
