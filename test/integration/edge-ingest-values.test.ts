import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { edgeIngestFromConfig } from '../../functions/composition/edge';
import { parseProjectConfig } from '../../functions/config/project-config';
import { type EdgeIngestServer, startEdgeIngestServer } from '../../local/aws/edge-ingest-server';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';

/** Values and field names the lake cannot hold are refused by the endpoint (HTTP, real S3 + DynamoDB Local). */
const TOKEN = 'gw-token-values-0123456789';
let aws: LocalAws;
let server: EdgeIngestServer;
let store: S3ObjectStore;
jest.setTimeout(60_000);

beforeAll(async () => {
  aws = await startLocalAws({ buckets: ['values-lake'] });
  const config = parseProjectConfig(
    {
      version: 1,
      keys: [{ alias: 'demo', secret: { value: 'unused-key' } }],
      lake: { bucket: 'values-lake', endpoint: aws.s3Endpoint },
      state: { table: 'values-state', endpoint: aws.dynamoEndpoint },
      edge: { gateways: [{ id: 'site-1', token: { value: TOKEN }, meters: ['000300001463'] }] },
    },
    join(tmpdir(), 'values-config.yaml'),
  );
  server = await startEdgeIngestServer({ ingest: await edgeIngestFromConfig(config) });
  store = S3ObjectStore.fromConfig({ bucket: 'values-lake', endpoint: aws.s3Endpoint });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await aws?.close();
});

function post(batchId: string, fields: Record<string, unknown>) {
  const body = {
    gateway: 'site-1',
    batchId,
    readings: [
      {
        meter: '000300001463',
        timeMs: Date.now() - 60_000,
        good: true,
        protocol: 'v4',
        source: 'edge',
        via: 'site-1',
        fields,
      },
    ],
  };
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'idempotency-key': batchId },
    body: JSON.stringify(body),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { issues?: { path: string; message: string }[] },
  }));
}

describe('edge ingest endpoint refuses what the lake cannot hold', () => {
  it.each([
    ['b-overflow', { kWh_Tot: '-1e400' }, 'readings[0]', 'kWh_Tot: "-1e400" is not a finite number'],
    ['b-overflow-2', { RMS_Watts_Tot: '1e400' }, 'readings[0]', 'RMS_Watts_Tot: "1e400" is not a finite number'],
    ['b-unknown', { kWh_Tot: 1, kWh_Totl: 2 }, 'readings[0].fields', 'field name "kWh_Totl" is not an EKM field name'],
  ])(
    'fails with 400 on %s, naming reading, field and value, and writes nothing',
    async (batchId, fields, path, message) => {
      // Act
      const r = await post(batchId, fields);
      // Assess
      expect(r.status).toBe(400);
      expect(r.body.issues).toEqual([{ path, message: expect.stringContaining(message) }]);
      expect(await store.list('')).toEqual([]);
    },
  );
});
