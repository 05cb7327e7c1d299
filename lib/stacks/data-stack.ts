import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config';
import { type LakeDataset, ReadingsLake } from '../constructs/readings-lake';
import { secureTableProps } from '../constructs/secure-defaults';

export interface DataStackProps extends StackProps {
  readonly stage: StageConfig;
  readonly datasets: readonly LakeDataset[];
}

/**
 * The stateful half: the Parquet lake (bucket, Glue tables, Athena workgroup), the one state table
 * (cursors, runs, drift, edge receipts) and the alarm topic. Termination-protected, resources
 * retained; the stateless EtlStack receives them as typed props.
 */
export class DataStack extends Stack {
  readonly lake: ReadingsLake;
  readonly stateTable: dynamodb.TableV2;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    const origins = [...props.stage.keys.map((k) => k.alias), ...props.stage.edgeGateways.map((g) => g.id)];
    this.lake = new ReadingsLake(this, 'Lake', { datasets: props.datasets, origins });
    // Single-table design (README "State table"): pk/sk strings; TTL on `expiresAt` for run records.
    this.stateTable = new dynamodb.TableV2(
      this,
      'StateTable',
      secureTableProps({
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `ekm-pipeline ${props.stage.stageName} alarms`,
      enforceSSL: true,
    });
    if (props.stage.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.stage.alarmEmail));
  }
}
