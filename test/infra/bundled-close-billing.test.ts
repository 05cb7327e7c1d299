import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { ENV } from '../../functions/config/env-names';
import { FEATURE_FLAGS } from '../../lib/config/feature-flags';
import { lakeDatasets } from '../../lib/config/lake-datasets';
import { parseStageConfig } from '../../lib/config/stage-config';
import { DataStack } from '../../lib/stacks/data-stack';
import { EtlStack } from '../../lib/stacks/etl-stack';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { FILE, RECORD } from '../fixtures/billing/close-fixture';

const ROOT = join(__dirname, '..', '..');

/**
 * The close-billing artifact CDK deploys (as test/infra/bundled-lambda.test.ts does for compaction):
 * synthesized with esbuild bundling, run in a fresh Node process against s3rver + DynamoDB Local
 * with the Scheduler's event. The billing file and its URDB record come from S3; with no usage in
 * the lake the run fails naming the property, as the error alarm expects.
 */
let aws: LocalAws;
let outdir: string;
beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'ekm-cdk-close-'));
  aws = await startLocalAws({ buckets: ['close-lake'] });
  await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), 'close-state');
}, 60_000);
afterAll(async () => {
  await aws?.close();
  rmSync(outdir, { recursive: true, force: true });
});

describe('bundled close-billing Lambda', () => {
  it('loads, reads the billing file and its URDB record from S3, and fails the run naming the property without usage', async () => {
    // Prepare: synth with bundling
    const stage = parseStageConfig({
      keys: [{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }],
      billing: { fileKey: 'billing/billing.yaml', timezones: ['America/New_York'] },
    });
    const app = new App({ outdir, context: { ...FEATURE_FLAGS } });
    const data = new DataStack(app, 'Data', { stage, datasets: lakeDatasets() });
    new EtlStack(app, 'Etl', {
      stage,
      lakeBucket: data.lake.bucket,
      stateTable: data.stateTable,
      alarmTopic: data.alarmTopic,
      writerAssetFiles: ['node_modules/parquet-wasm/node/parquet_wasm_bg.wasm'],
    });
    app.synth();
    const template = JSON.parse(readFileSync(join(outdir, 'Etl.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }>;
    };
    const fn = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('CloseBillingFunction'),
    );
    const bundle = join(outdir, `asset.${fn?.[1].Properties.Code?.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(bundle)).toContain('index.js');
    const store = S3ObjectStore.fromConfig({ bucket: 'close-lake', endpoint: aws.s3Endpoint });
    await store.put('billing/billing.yaml', new TextEncoder().encode(FILE));
    await store.put('billing/flat.json', new TextEncoder().encode(JSON.stringify(RECORD)));

    // Act
    const script = `require(${JSON.stringify(join(bundle, 'index.js'))}).handler({ timezone: 'America/New_York', month: '2026-03' }).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)), (e) => { console.error('FAILED ' + e.message); process.exit(1); });`;
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['-e', script],
        {
          cwd: tmpdir(),
          env: {
            PATH: process.env.PATH,
            NODE_PATH: join(ROOT, 'node_modules'),
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'S3RVER',
            AWS_SECRET_ACCESS_KEY: 'S3RVER',
            AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
            AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
            [ENV.LAKE_BUCKET]: 'close-lake',
            [ENV.STATE_TABLE]: 'close-state',
            [ENV.BILLING_FILE_KEY]: 'billing/billing.yaml',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );

    // Assess: the file and its plan were read (the failure is the missing usage), elm only (oak is in UTC)
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED 1 property not closed: elm 2026-03 \(not drafted: /);
    expect(result.stderr).toContain('meter 000000000001 has no reads in the lake');
    expect(result.stdout).toContain('"msg":"billing close"');
  }, 180_000);
});
