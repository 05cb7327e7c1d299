import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { ENV } from '../../functions/config/env-names';
import { parseStageConfig } from '../../lib/config/stage-config';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { runBundledHandler, synthBundledEtl } from '../fakes/bundled-etl';
import { FILE, RECORD } from '../fixtures/billing/close-fixture';

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
    const bundle = synthBundledEtl(outdir, stage).bundleOf('CloseBillingFunction');
    expect(readdirSync(bundle)).toContain('index.js');
    const store = S3ObjectStore.fromConfig({ bucket: 'close-lake', endpoint: aws.s3Endpoint });
    await store.put('billing/billing.yaml', new TextEncoder().encode(FILE));
    await store.put('billing/flat.json', new TextEncoder().encode(JSON.stringify(RECORD)));

    // Act
    const result = await runBundledHandler(bundle, { timezone: 'America/New_York', month: '2026-03' }, aws, {
      [ENV.LAKE_BUCKET]: 'close-lake',
      [ENV.STATE_TABLE]: 'close-state',
      [ENV.BILLING_FILE_KEY]: 'billing/billing.yaml',
    });

    // Assess: the file and its plan were read (the failure is the missing usage), elm only (oak is in UTC)
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED 1 property not closed: elm 2026-03 \(not drafted: /);
    expect(result.stderr).toContain('meter 000000000001 has no reads in the lake');
    expect(result.stdout).toContain('"msg":"billing close"');
  }, 180_000);
});
