import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { ENV } from '../../functions/config/env-names';
import type { Reading } from '../../functions/core/readings/reading';
import { makeWriteReadings } from '../../functions/use-cases/write-readings';
import { FEATURE_FLAGS } from '../../lib/config/feature-flags';
import { lakeDatasets } from '../../lib/config/lake-datasets';
import { parseStageConfig } from '../../lib/config/stage-config';
import { DataStack } from '../../lib/stacks/data-stack';
import { EtlStack } from '../../lib/stacks/etl-stack';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { readWithHyparquet } from '../fakes/lake-readers';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * The artifact CDK deploys, not the source: synthesize the Etl stack with real esbuild bundling
 * (no Docker), then run the bundled compact-lake Lambda in a separate Node process against
 * s3rver + DynamoDB Local. Proves the bundle loads (parquet-wasm's .wasm shipped next to it) and works.
 */
let aws: LocalAws;
let outdir: string;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'ekm-cdk-out-'));
  aws = await startLocalAws({ buckets: ['bundle-lake'] });
  await ensureStateTable(dynamoClientFromConfig({ endpoint: aws.dynamoEndpoint }), 'bundle-state');
}, 60_000);

afterAll(async () => {
  await aws?.close();
  rmSync(outdir, { recursive: true, force: true });
});

function bundleDirOf(
  template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> },
  handlerPath: string,
): string {
  const fn = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(handlerPath),
  );
  if (!fn) throw new Error(`no function ${handlerPath} in the template`);
  const key = (fn[1].Properties.Code as { S3Key: string }).S3Key;
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

describe('bundled Lambda', () => {
  it('compacts a day of the lake when run from the esbuild bundle CDK produced', async () => {
    // Prepare: synth with bundling (the same construct code `cdk synth` runs)
    const stage = parseStageConfig({ keys: [{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }] });
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
    const template = JSON.parse(readFileSync(join(outdir, 'Etl.template.json'), 'utf8'));
    const bundle = bundleDirOf(template, 'CompactLakeFunction');
    expect(readdirSync(bundle).sort()).toEqual(['index.js', 'index.js.map', 'parquet_wasm_bg.wasm']);

    // Prepare: two hourly objects of yesterday, written by the lake writer in this process
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const t0 = Date.parse(`${day}T10:00:00Z`);
    const readings: Reading[] = Array.from({ length: 120 }, (_, i) => ({
      meter: '000350000900',
      timeMs: t0 + i * 60_000,
      good: true,
      protocol: 'v4',
      source: 'realtime',
      via: 'demo',
      fields: { kWh_Tot: 100 + i / 10, RMS_Volts_Ln_1: 120.5 },
    }));
    const store = S3ObjectStore.fromConfig({ bucket: 'bundle-lake', endpoint: aws.s3Endpoint });
    const written = await makeWriteReadings({ objectStore: store, clock: { now: () => Date.now() } })(readings, {
      via: 'demo',
    });
    expect(written.keys).toHaveLength(2);

    // Act: invoke the bundled handler the way Lambda would, in a fresh Node process
    const script = `require(${JSON.stringify(join(bundle, 'index.js'))}).handler({ date: ${JSON.stringify(day)} }).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH,
        // The nodejs22.x runtime provides the AWS SDK; here it comes from the repo's node_modules.
        NODE_PATH: join(ROOT, 'node_modules'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_ENDPOINT_URL_S3: aws.s3Endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: aws.dynamoEndpoint,
        [ENV.EKM_KEYS_JSON]: JSON.stringify([{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }]),
        [ENV.LAKE_BUCKET]: 'bundle-lake',
        [ENV.STATE_TABLE]: 'bundle-state',
      },
    });

    // Assess: one day object holding all 120 reads, readable by an independent Parquet reader
    const result = JSON.parse(stdout.slice(stdout.lastIndexOf('\nRESULT ') + '\nRESULT '.length)) as { keys: string[] };
    expect(result.keys).toEqual([`dataset=realtime/date=${day}/origin=demo/day-s00.parquet`]);
    const rows = await readWithHyparquet((await store.get(result.keys[0] ?? ''))!);
    expect(rows).toHaveLength(120);
    expect(rows.map((r) => r.kWh_Tot)).toEqual(readings.map((r) => r.fields.kWh_Tot));
  }, 120_000);
});
