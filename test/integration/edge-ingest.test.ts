import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClientFromConfig } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { edgeIngestFromConfig } from '../../functions/composition/edge';
import { loadEdgeIngestConfig } from '../../functions/config/edge-ingest-config';
import { type ProjectConfig, parseProjectConfig } from '../../functions/config/project-config';
import { EDGE_LIMITS } from '../../functions/core/edge/edge-batch';
import { type HttpApiEventV2, makeEdgeIngestHandler } from '../../functions/handlers/edge-ingest';
import type { IngestEdgeBatch } from '../../functions/use-cases/ingest-edge-batch';
import { type EdgeIngestServer, startEdgeIngestServer } from '../../local/aws/edge-ingest-server';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { readWithHyparquet } from '../fakes/lake-readers';

const EDGE_BIN = join(__dirname, '../../edge-collector/bin/ekm-edge.cjs');
const TOKEN = 'gw-token-site-1-0123456789';
const METERS = ['000300001463', '000000000026'];

function reading(meter: string, timeMs: number, via = 'site-1') {
  return {
    meter,
    timeMs,
    good: true,
    protocol: 'v4',
    source: 'edge',
    via,
    fields: { kWh_Tot: 12.5, RMS_Watts_Tot: 1480, Cos_Theta_Ln_1: '0.99 C' },
  };
}

describe('edge ingest endpoint (local server, real S3-compatible lake and DynamoDB Local)', () => {
  let aws: LocalAws;
  let config: ProjectConfig;
  let ingest: IngestEdgeBatch;
  let server: EdgeIngestServer;
  let store: S3ObjectStore;

  beforeAll(async () => {
    aws = await startLocalAws({ buckets: ['edge-lake'] });
    config = parseProjectConfig(
      {
        version: 1,
        keys: [{ alias: 'demo', secret: { value: 'unused-key' } }],
        lake: { bucket: 'edge-lake', endpoint: aws.s3Endpoint },
        state: { table: 'edge-state', endpoint: aws.dynamoEndpoint },
        edge: {
          gateways: [
            { id: 'site-1', token: { value: TOKEN }, meters: METERS },
            { id: 'site-2', token: { value: 'gw-token-site-2-abcdefghij' }, meters: ['000300009999'] },
          ],
        },
      },
      join(tmpdir(), 'edge-test-config.yaml'),
    );
    ingest = await edgeIngestFromConfig(config);
    server = await startEdgeIngestServer({ ingest });
    store = S3ObjectStore.fromConfig(config.lake!);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await aws?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  async function lakeRows(): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for (const obj of await store.list('')) {
      if (!obj.key.includes('dataset=realtime')) continue;
      rows.push(...(await readWithHyparquet((await store.get(obj.key))!)));
    }
    return rows;
  }

  it('fails with 401 without a token or with an unknown one, and never echoes it', async () => {
    const batch = { gateway: 'site-1', batchId: 'b-401', readings: [reading(METERS[0]!, Date.now() - 1000)] };
    expect((await post(batch, {})).status).toBe(401);
    const wrong = await post(batch, { authorization: 'Bearer not-a-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('not-a-token');
  });

  it('fails with 403 when a gateway writes a meter that is not its own, naming the record', async () => {
    const out = await post({
      gateway: 'site-1',
      batchId: 'b-403',
      readings: [reading('000300009999', Date.now() - 1000)],
    });
    expect(out.status).toBe(403);
    expect(out.body.issues).toEqual([expect.objectContaining({ path: 'readings[0].meter' })]);
  });

  it('fails with 400 on invalid records and 413 on oversized bodies, writing nothing', async () => {
    const bad = await post({ gateway: 'site-1', batchId: 'b-400', readings: [reading(METERS[0]!, 1_000)] });
    expect(bad).toMatchObject({ status: 400, body: { error: 'INVALID_BATCH' } });
    expect((await post('x'.repeat(EDGE_LIMITS.maxBodyBytes + 10))).status).toBe(413);
    expect((await post('{"gateway":')).status).toBe(400);
    expect(await lakeRows()).toHaveLength(0);
  });

  it('writes a batch into the lake with source = edge, once, and records a receipt', async () => {
    const t = Date.now() - 60_000;
    const batch = {
      gateway: 'site-1',
      batchId: 'site-1-000000000001-000000000003',
      readings: [reading(METERS[0]!, t), reading(METERS[1]!, t), reading(METERS[0]!, t + 1000)],
    };
    const headers = { authorization: `Bearer ${TOKEN}`, 'idempotency-key': batch.batchId };
    const first = await post(batch, headers);
    const second = await post(batch, headers);
    expect(first).toMatchObject({ status: 200, body: { accepted: 3, duplicate: false } });
    expect(second).toMatchObject({ status: 200, body: { accepted: 3, duplicate: true } });
    const rows = await lakeRows();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.source === 'edge' && r.via === 'site-1')).toBe(true);
    const item = await dynamoClientFromConfig(config.state!).send(
      new GetItemCommand({
        TableName: 'edge-state',
        Key: { pk: { S: 'EDGE#site-1' }, sk: { S: `BATCH#${batch.batchId}` } },
      }),
    );
    expect(item.Item?.readings?.N).toBe('3');
    expect(JSON.stringify(item.Item)).not.toContain(TOKEN);
  });

  it('serves the same use-case through the Lambda handler (HTTP API v2 event, base64 body)', async () => {
    const handler = makeEdgeIngestHandler(async () => ingest);
    const batch = { gateway: 'site-1', batchId: 'lambda-1', readings: [reading(METERS[1]!, Date.now() - 5000)] };
    const event: HttpApiEventV2 = {
      headers: { Authorization: `Bearer ${TOKEN}`, 'Idempotency-Key': 'lambda-1' },
      body: Buffer.from(JSON.stringify(batch)).toString('base64'),
      isBase64Encoded: true,
    };
    const out = await handler(event);
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.body)).toMatchObject({ accepted: 1, duplicate: false });
    expect((await handler({ headers: {}, body: '{}' })).statusCode).toBe(401);
  });

  it('reads the Lambda config from the environment the CDK stack sets', () => {
    const cfg = loadEdgeIngestConfig({
      EDGE_GATEWAYS_JSON: JSON.stringify([
        { id: 'site-1', token: { secretsManager: 'ekm/edge/site-1' }, meters: METERS },
      ]),
      LAKE_BUCKET: 'lake-bucket',
      STATE_TABLE: 'state-table',
    });
    expect(cfg.edge?.gateways?.[0]).toEqual({
      id: 'site-1',
      token: { secretsManager: 'ekm/edge/site-1' },
      meters: METERS,
    });
    expect(() => loadEdgeIngestConfig({ LAKE_BUCKET: 'b', STATE_TABLE: 't' })).toThrow('EDGE_GATEWAYS_JSON');
  });

  it('takes readings from the edge collector reading a simulated bus over a pty (end to end)', async () => {
    // Prepare: a simulated bus and an edge.yaml pointing at this endpoint.
    const sim: ChildProcessWithoutNullStreams = spawn(process.execPath, [
      EDGE_BIN,
      'simulate',
      '--meters',
      '000300001463:v4,000000000026:v3',
      '--json',
    ]);
    try {
      const port = await new Promise<string>((resolve, reject) => {
        sim.stdout.once('data', (c: Buffer) => resolve(JSON.parse(c.toString()).port));
        sim.once('exit', (code) => reject(new Error(`simulator exited ${code}`)));
      });
      const dir = mkdtempSync(join(tmpdir(), 'edge-e2e-'));
      writeFileSync(
        join(dir, 'edge.yaml'),
        [
          'gateway: site-1',
          `port: ${port}`,
          'meters:',
          '  - { address: "000300001463", family: v4 }',
          '  - { address: "000000000026", family: v3 }',
          'schedule: { bEvery: 2 }',
          'spool: spool.db',
          `uplink: { endpoint: "${server.url}", token: { env: EKM_EDGE_TOKEN }, batchSize: 3 }`,
        ].join('\n'),
      );
      const before = (await lakeRows()).length;
      // Act
      const run = spawn(process.execPath, [EDGE_BIN, 'run', '--config', join(dir, 'edge.yaml'), '--max-reads', '6'], {
        env: { ...process.env, EKM_EDGE_TOKEN: TOKEN },
      });
      let out = '';
      let err = '';
      run.stdout.on('data', (c) => {
        out += c;
      });
      run.stderr.on('data', (c) => {
        err += c;
      });
      const code = await new Promise((r) => run.once('exit', r));
      // Assess
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(JSON.parse(out)).toMatchObject({ reads: 6, failures: 0, uploaded: 6, spool: { pending: 0 } });
      const rows = await lakeRows();
      expect(rows.length - before).toBe(6);
      const edgeRows = rows.filter((r) => r.meter === '000000000026' && r.protocol === 'v3');
      expect(edgeRows.length).toBeGreaterThanOrEqual(3);
      expect(out + err).not.toContain(TOKEN);
    } finally {
      sim.kill('SIGTERM');
    }
  }, 30_000);
});
