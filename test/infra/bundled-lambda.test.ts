import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynamoClientFromConfig, ensureStateTable } from '../../functions/adapters/dynamo-state-table';
import { S3ObjectStore } from '../../functions/adapters/s3-object-store';
import { ENV } from '../../functions/config/env-names';
import type { Reading } from '../../functions/core/readings/reading';
import { makeWriteReadings } from '../../functions/use-cases/write-readings';
import { parseStageConfig } from '../../lib/config/stage-config';
import { type LocalAws, startLocalAws } from '../../local/aws/local-aws';
import { runBundledHandler, synthBundledEtl } from '../fakes/bundled-etl';
import { readWithHyparquet } from '../fakes/lake-readers';

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

describe('bundled Lambda', () => {
  it('compacts a day of the lake when run from the esbuild bundle CDK produced', async () => {
    // Prepare: synth with bundling (the same construct code `cdk synth` runs)
    const stage = parseStageConfig({ keys: [{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }] });
    const bundle = synthBundledEtl(outdir, stage).bundleOf('CompactLakeFunction');
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
    const run = await runBundledHandler(bundle, { date: day }, aws, {
      [ENV.EKM_KEYS_JSON]: JSON.stringify([{ alias: 'demo', secret: { secretsManager: 'ekm/demo' } }]),
      [ENV.LAKE_BUCKET]: 'bundle-lake',
      [ENV.STATE_TABLE]: 'bundle-state',
    });

    // Assess: one day object holding all 120 reads, readable by an independent Parquet reader
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const result = run.result as { keys: string[] };
    expect(result.keys).toEqual([`dataset=realtime/date=${day}/origin=demo/day-s00.parquet`]);
    const rows = await readWithHyparquet((await store.get(result.keys[0] ?? ''))!);
    expect(rows).toHaveLength(120);
    expect(rows.map((r) => r.kWh_Tot)).toEqual(readings.map((r) => r.fields.kWh_Tot));
  }, 120_000);
});
