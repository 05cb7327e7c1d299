import { App } from 'aws-cdk-lib';
import { FEATURE_FLAGS } from '../lib/config/feature-flags';
import { lakeDatasets } from '../lib/config/lake-datasets';
import { parseStageConfig } from '../lib/config/stage-config';
import { DataStack } from '../lib/stacks/data-stack';
import { EtlStack } from '../lib/stacks/etl-stack';

// Stage config → DataStack (stateful) → EtlStack (stateless, gets the data resources as props).
const app = new App({ context: FEATURE_FLAGS });
const stage = parseStageConfig(app.node.tryGetContext('ekm-pipeline') ?? {});
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
const data = new DataStack(app, `EkmPipeline-${stage.stageName}-Data`, { env, stage, datasets: lakeDatasets() });
new EtlStack(app, `EkmPipeline-${stage.stageName}-Etl`, {
  env,
  stage,
  lakeBucket: data.lake.bucket,
  stateTable: data.stateTable,
  alarmTopic: data.alarmTopic,
  // parquet-wasm reads its .wasm from the bundle's own folder.
  writerAssetFiles: ['node_modules/parquet-wasm/node/parquet_wasm_bg.wasm'],
});
