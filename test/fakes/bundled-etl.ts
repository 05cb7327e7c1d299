import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { FEATURE_FLAGS } from '../../lib/config/feature-flags';
import { lakeDatasets } from '../../lib/config/lake-datasets';
import type { StageConfig } from '../../lib/config/stage-config';
import { DataStack } from '../../lib/stacks/data-stack';
import { EtlStack } from '../../lib/stacks/etl-stack';
import type { LocalAws } from '../../local/aws/local-aws';

const ROOT = join(__dirname, '..', '..');

/**
 * The artifacts CDK deploys, for tests that run them: synthesize the Data and Etl stacks of `stage`
 * into `outdir` with real esbuild bundling (no Docker) and find a function's bundle folder.
 */
export function synthBundledEtl(outdir: string, stage: StageConfig): { bundleOf(functionId: string): string } {
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
  return {
    bundleOf(functionId: string): string {
      const fn = Object.entries(template.Resources).find(
        ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(functionId),
      );
      const key = fn?.[1].Properties.Code?.S3Key;
      if (!key) throw new Error(`no function ${functionId} in the template`);
      return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    },
  };
}

/**
 * Invoke a bundle's handler with `event` the way Lambda would, in a fresh Node process against the
 * local AWS stand-ins. stdout ends with `RESULT <json>` on success; a failure prints `FAILED <message>`
 * (and its stack) on stderr and exits 1.
 */
export function runBundledHandler(
  bundle: string,
  event: unknown,
  aws: LocalAws,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; result?: unknown }> {
  const script = `require(${JSON.stringify(join(bundle, 'index.js'))}).handler(${JSON.stringify(event)}).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)), (e) => { console.error('FAILED ' + e.message + '\\n' + e.stack); process.exit(1); });`;
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['-e', script],
      {
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
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const at = stdout.lastIndexOf('\nRESULT ');
        resolve({
          code: error ? Number(error.code) : 0,
          stdout,
          stderr,
          ...(at >= 0 ? { result: JSON.parse(stdout.slice(at + '\nRESULT '.length)) } : {}),
        });
      },
    ),
  );
}
